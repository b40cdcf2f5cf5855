"""The content index: built pages parsed into sections (:mod:`.parse`), Read the Docs' query syntax
(:mod:`.query`) and the engines that match it (:mod:`.engines`)."""
