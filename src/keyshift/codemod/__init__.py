"""The credential codemod behind ``keyshift fix``.

Two analysis paths give the same result. The libcst path: ``callsites`` finds boto3-family
factory calls by qualified name (and offers the read-only ``collect_call_sites`` to the
planner), ``values`` decides whether a credential value is ambient, ``edits`` removes arguments,
imports and statements without disturbing formatting, ``credentials`` ties them into
``fix_module`` and the libcst ``RemoveStaticCredentialsCommand``, and ``notes`` lists what a
human must still do. The fast path the CLI uses first: ``scopes`` models bindings on the stdlib
``ast``, ``fast`` makes the same decisions there and ``textedit`` applies the ``edits`` rules to
the bytes; what it does not model goes to the libcst path. ``records`` holds what both share
(reports, notes, value facts). ``runner`` walks files, in parallel when there are many, and
writes atomically, and ``report`` renders text or JSON. Nothing is imported here, so importing
the package stays cheap.
"""
