"""Using a model: the Classifier, explanations, file prediction."""
