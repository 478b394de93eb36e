"""Name bindings and scopes of one module from the stdlib ``ast``, for the fast analysis path.

libcst's ``ScopeProvider`` is most of the cost of analysing a file; this is the part of it that
keyshift needs, built in one walk over the much cheaper ``ast`` tree: which bindings a name
refers to at a given place (function, class, module and comprehension scopes, class scopes
skipped from nested functions), and the qualified name of a dotted expression (``import boto3
as b3`` makes ``b3.client`` ``boto3.client``). It mirrors libcst's answers for the constructs it
models and raises ``Unsupported`` for the rest (``global``/``nonlocal``, star imports, names
bound twice, ...), so the caller can hand such a file to the libcst path instead of guessing.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator
from dataclasses import dataclass, field

_BUILTINS = frozenset(dir(builtins))


class Unsupported(Exception):
    """The fast path does not model this construct; analyse the file with libcst instead."""


@dataclass(slots=True)
class Binding:
    """One place that binds a name.

    ``via``: ``import`` | ``assign`` (direct target of ``=``) | ``annassign`` | ``walrus`` |
    ``with`` (``with ... as name``) | ``param`` | ``def`` | ``augassign`` | ``other`` (for,
    except, tuple unpacking, match, ...). ``value`` is the bound expression where there is one.
    """

    name: str
    via: str
    scope: Scope
    node: ast.AST
    value: ast.expr | None = None
    qualified: str | None = None  # imports: what the name stands for ("boto3", "boto3.session.Session")
    origin_module: str | None = None  # from-imports: the module text shown in reports


@dataclass(slots=True, eq=False)
class Scope:
    kind: str  # "module" | "function" | "class" | "comprehension"
    parent: Scope | None
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    assigns: list[ast.Assign] = field(default_factory=list)  # ``=`` statements directly in this scope
    in_class: bool = False  # a comprehension/lambda directly inside a class body
    globals: frozenset[str] = frozenset()  # names declared ``global`` in this scope

    def add(self, binding: Binding) -> None:
        if binding.name in self.globals:  # the binding belongs to the module (as libcst records it)
            root = self
            while root.parent is not None:
                root = root.parent
            binding.scope = root
            root.add(binding)
            return
        self.bindings.setdefault(binding.name, []).append(binding)


class ModuleScopes:
    """Scopes of one module and the scope every expression node sits in."""

    def __init__(self, tree: ast.Module) -> None:
        self.module = Scope("module", None)
        self.scope_of: dict[int, Scope] = {}
        self.names: list[tuple[ast.Name, Scope]] = []  # every Name node (load, store, del)
        self.calls: list[ast.Call] = []
        self.assigns: list[ast.Assign] = []
        self.parents: dict[int, ast.AST] = {}
        self.star_import = False
        _Builder(self).run(tree)

    def lookup(self, name: str, scope: Scope) -> list[Binding]:
        """The bindings ``name`` refers to from ``scope`` ([] when unbound; builtins are [])."""
        current: Scope | None = scope
        first = True
        while current is not None:
            if current.in_class:
                raise Unsupported("comprehension in a class body")
            if (first or current.kind != "class") and name in current.globals:
                return self.module.bindings.get(name, [])
            if (first or current.kind != "class") and name in current.bindings:
                return current.bindings[name]
            first = False
            current = current.parent
        return []

    def is_builtin(self, name: str, scope: Scope) -> bool:
        return not self.lookup(name, scope) and name in _BUILTINS

    def qualified_names(self, node: ast.expr, scope: Scope) -> set[str]:
        """What libcst's qualified names give for a Name/Attribute/Call/Subscript chain."""
        parts: list[str] = []
        while True:
            if isinstance(node, ast.Attribute):
                parts.append(node.attr)
                node = node.value
            elif isinstance(node, ast.Call):
                node = node.func
            elif isinstance(node, ast.Subscript):
                node = node.value
            else:
                break
        if not isinstance(node, ast.Name):
            return set()
        suffix = "".join(f".{p}" for p in reversed(parts))
        bindings = self.lookup(node.id, scope)
        if not bindings:
            return {f"builtins.{node.id}{suffix}"} if node.id in _BUILTINS else set()
        out: set[str] = set()
        for binding in bindings:
            if binding.via == "import":
                if binding.qualified is None:
                    raise Unsupported("import form")
                out.add(binding.qualified + suffix)
            elif binding.scope.kind == "module":
                out.add(node.id + suffix)
            else:
                out.add(f"<local>.{node.id}{suffix}")
        return out

    def walk_names(self) -> Iterator[tuple[ast.Name, Scope]]:
        return iter(self.names)


class _Builder(ast.NodeVisitor):
    def __init__(self, out: ModuleScopes) -> None:
        self.out = out
        self.scope = out.module

    def run(self, tree: ast.Module) -> None:
        for stmt in tree.body:
            self.visit(stmt)

    # -- helpers -----------------------------------------------------------------------------------
    def _child(self, kind: str) -> Scope:
        return Scope(kind, self.scope, in_class=kind == "comprehension" and self.scope.kind == "class")

    def _bind_target(self, target: ast.expr, via: str, node: ast.AST, value: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
            self.scope.add(Binding(target.id, via, self.scope, node, value))
        elif isinstance(target, ast.Tuple | ast.List):
            for elt in target.elts:
                self._bind_target(elt, "other", node, None)
        elif isinstance(target, ast.Starred):
            self._bind_target(target.value, "other", node, None)

    def generic_visit(self, node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            self.out.parents[id(child)] = node
            self.visit(child)

    def _visit_in(self, nodes: list[ast.AST | None]) -> None:
        for node in nodes:
            if node is not None:
                self.visit(node)

    # -- statements ---------------------------------------------------------------------------------
    def visit_Global(self, node: ast.Global) -> None:
        """Handled when the enclosing function or class is entered (``_declared_global``)."""

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        raise Unsupported("nonlocal statement")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.scope.add(Binding(alias.asname, "import", self.scope, node, None, alias.name))
            else:
                root = alias.name.split(".")[0]
                self.scope.add(Binding(root, "import", self.scope, node, None, root))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        prefix = "." * node.level + (node.module or "")
        for alias in node.names:
            if alias.name == "*":
                self.out.star_import = True
                raise Unsupported("star import")
            qualified = f"{prefix}.{alias.name}" if node.module else f"{prefix}{alias.name}"
            bound = alias.asname or alias.name
            origin = prefix if node.module is not None else None
            self.scope.add(Binding(bound, "import", self.scope, node, None, qualified, origin))

    def visit_Assign(self, node: ast.Assign) -> None:
        self.out.assigns.append(node)
        self.scope.assigns.append(node)
        self.generic_visit(node)
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.scope.add(Binding(target.id, "assign", self.scope, target, node.value))
            else:
                self._bind_target(target, "other", target, None)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.generic_visit(node)
        if isinstance(node.target, ast.Name):  # ``x: int`` binds too (libcst records it), without a value
            self.scope.add(Binding(node.target.id, "annassign", self.scope, node.target, node.value))

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.generic_visit(node)
        if isinstance(node.target, ast.Name):
            self.scope.add(Binding(node.target.id, "augassign", self.scope, node.target, None))

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        if self.scope.kind == "comprehension":
            raise Unsupported("assignment expression in a comprehension")
        self.generic_visit(node)
        self.scope.add(Binding(node.target.id, "walrus", self.scope, node.target, node.value))

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.generic_visit(node)
        self._bind_target(node.target, "other", node, None)

    visit_AsyncFor = visit_For

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        self.generic_visit(node)
        for item in node.items:
            if isinstance(item.optional_vars, ast.Name):
                name = item.optional_vars
                self.scope.add(Binding(name.id, "with", self.scope, name, item.context_expr))
            elif item.optional_vars is not None:
                self._bind_target(item.optional_vars, "other", item, None)

    visit_AsyncWith = visit_With

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        self.generic_visit(node)
        if node.name:
            self.scope.add(Binding(node.name, "other", self.scope, node, None))

    def visit_Match(self, node: ast.Match) -> None:
        raise Unsupported("match statement")

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        args = node.args
        outer: list[ast.AST | None] = [*args.defaults, *args.kw_defaults]
        if not isinstance(node, ast.Lambda):
            outer = [*node.decorator_list, *outer]
            annotations = [a.annotation for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
            annotations += [args.vararg.annotation if args.vararg else None]
            annotations += [args.kwarg.annotation if args.kwarg else None, node.returns]
            outer += annotations
        for child in outer:
            if child is not None:
                self.out.parents[id(child)] = node
        self._visit_in(outer)
        if not isinstance(node, ast.Lambda):
            self.scope.add(Binding(node.name, "def", self.scope, node, None))
        inner = self._child("comprehension" if isinstance(node, ast.Lambda) else "function")
        params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        params += [a for a in (args.vararg, args.kwarg) if a is not None]
        for param in params:
            inner.add(Binding(param.arg, "param", inner, param, None))
        if not isinstance(node, ast.Lambda):
            inner.globals = _declared_global(node.body)
        saved, self.scope = self.scope, inner
        body = node.body if isinstance(node.body, list) else [node.body]
        for stmt in body:
            self.out.parents[id(stmt)] = node
            self.visit(stmt)
        self.scope = saved

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_Lambda = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        outer: list[ast.AST | None] = [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]
        for child in outer:
            if child is not None:
                self.out.parents[id(child)] = node
        self._visit_in(outer)
        self.scope.add(Binding(node.name, "def", self.scope, node, None))
        inner = self._child("class")
        inner.globals = _declared_global(node.body)
        saved, self.scope = self.scope, inner
        for stmt in node.body:
            self.out.parents[id(stmt)] = node
            self.visit(stmt)
        self.scope = saved

    # -- expressions --------------------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        self.out.scope_of[id(node)] = self.scope
        self.out.names.append((node, self.scope))

    def visit_Call(self, node: ast.Call) -> None:
        self.out.scope_of[id(node)] = self.scope
        self.out.calls.append(node)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        self.out.scope_of[id(node)] = self.scope
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.out.scope_of[id(node)] = self.scope
        self.generic_visit(node)

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> None:
        gens = node.generators
        self.out.parents[id(gens[0].iter)] = node
        self.visit(gens[0].iter)  # evaluated in the enclosing scope
        saved, self.scope = self.scope, self._child("comprehension")
        for index, gen in enumerate(gens):
            self._bind_target(gen.target, "other", gen, None)
            if index:
                self.out.parents[id(gen.iter)] = node
                self.visit(gen.iter)
            for cond in gen.ifs:
                self.out.parents[id(cond)] = node
                self.visit(cond)
        elements = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        for element in elements:
            self.out.parents[id(element)] = node
            self.visit(element)
        self.scope = saved

    visit_ListComp = _comprehension
    visit_SetComp = _comprehension
    visit_GeneratorExp = _comprehension
    visit_DictComp = _comprehension


def _declared_global(body: list[ast.stmt]) -> frozenset[str]:
    """Names a function or class body declares ``global`` (nested scopes excluded)."""
    names: set[str] = set()
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Global):
            names.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            raise Unsupported("nonlocal statement")
        elif not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))
    return frozenset(names)
