"""Flask blueprints (pages and JSON API) and the services they share."""
