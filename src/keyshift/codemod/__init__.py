"""The credential codemod behind ``keyshift fix``, ``keyshift migrate`` and
``python -m libcst.tool codemod keyshift.codemod.credentials.RemoveStaticCredentialsCommand``.

One engine, on libcst: ``callsites`` finds boto3-family factory calls by qualified name (and
offers the read-only ``collect_call_sites``), ``values`` decides whether a credential value is
ambient, ``edits`` removes arguments, imports and statements without disturbing formatting,
``credentials`` ties them into ``fix_module`` and the libcst ``RemoveStaticCredentialsCommand``,
``notes`` finds the credentials a rewrite does not touch (settings, environment writes, Spark
keys, config files) and ``records`` holds what is reported.
``runner`` walks files (prefilter, process pool, atomic writes) and ``report`` renders text or
JSON. Nothing is imported here, so importing the package stays cheap.
"""
