"""From a consultation's transcript to a protocol the doctor checks and signs."""
