"""Model versions on disk: the registry (:mod:`.registry`: versions kept, promote, rollback),
which model serves (:mod:`.serving`) and the one model loader (:mod:`.loader`)."""
