"""Input and output at volume: readers (files, directories, JSON Lines, CSV, stdin) -> one streaming pipeline
(in this process or in worker processes, always in input order) -> writers and renderers for every format."""
