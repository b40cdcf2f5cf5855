"""The build tier: RQ jobs and the build pipeline. Imports ``app``; ``app`` never imports it."""
