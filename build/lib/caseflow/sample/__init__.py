"""Sample data: a generated month of realistic events, and a units file to go with it."""
