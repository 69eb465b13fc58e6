"""Speech to text with Vosk: streaming recognizers per speaker, models loaded once."""
