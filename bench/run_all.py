"""Run every benchmark and print its table (``make bench``)."""

from bench import (
    classroom,
    clinical_latency,
    flask_load,
    fuzz_http,
    fuzz_intake,
    ood_check,
    phantoms,
    streamlit_rerun,
    xray_latency,
)

if __name__ == "__main__":
    for mod in (phantoms, xray_latency, clinical_latency, ood_check, streamlit_rerun, flask_load,
                fuzz_intake, fuzz_http, classroom):
        mod.main()
