"""The credential codemod behind ``keyshift fix``.

``callsites`` finds boto3-family factory calls by qualified name (and offers the read-only
``collect_call_sites`` to the planner), ``values`` decides whether a credential value is
ambient, ``edits`` removes arguments, imports and statements without disturbing formatting,
``credentials`` ties them into ``fix_module`` and the libcst ``RemoveStaticCredentialsCommand``,
``notes`` lists what a human must still do, ``runner`` walks files in parallel and writes
atomically, and ``report`` renders text or JSON. Nothing is imported here, so importing the
package stays cheap.
"""
