"""What the service answers with: passage search, cited answers and their answer state, sub-priority matching
and the officer's alignment check (with its Word report), over a loaded `Corpus`."""
