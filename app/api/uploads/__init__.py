"""/api/v3/projects/<project>/versions/<version>/uploads/: publishing docs built elsewhere."""
