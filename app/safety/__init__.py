"""Safety helpers every tier uses and that import nothing of the app's: URL and repository checks
(``urlcheck``, ``local_repositories``), credential masking (``url_credentials``), job payloads
(``jobdata``) and password hashing (``passwords``).

They sit below the models, so the services, the workers and the request-level code in
:mod:`app.security` (which sits above the services) can all use them without a cycle between packages.
"""
