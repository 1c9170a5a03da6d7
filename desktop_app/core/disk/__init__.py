"""Writing without losing anything: atomic files and folder swaps, destinations, the ownership rule."""
