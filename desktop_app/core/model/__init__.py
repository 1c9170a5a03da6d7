"""Base models and what runs them: settings (TrainConfig), tokens and text cutting, devices, precision, threads, the frozen-layer cache, pooling, a model's probabilities."""
