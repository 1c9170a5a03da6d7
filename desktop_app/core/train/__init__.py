"""Training: objectives, callbacks, preparation, the estimate, the linear probe, pair tuning, the small-data path, the learning curve, distributed runs."""
