"""Reading tables (encodings, columns), labels and label sets, the dataset report, splits, which path the data takes."""
