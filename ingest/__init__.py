"""Turn strategy documents (PDF, TXT, Markdown) into cleaned, section-aware chunks."""
