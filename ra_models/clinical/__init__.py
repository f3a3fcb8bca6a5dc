"""Clinical-lab path: synthetic cohort, loader, preprocessing, DNN, ACR/EULAR 2010."""
