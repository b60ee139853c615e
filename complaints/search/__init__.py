"""Finding tickets by reference, customer name, phone digits or words of the description."""
