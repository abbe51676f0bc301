"""What the code behind a set of URLs can call: a static call graph of the project's own functions, built from
their source (ast), used to prove that nothing on the evaluation intake path or in the closed loop can reach
the plan check (billing.entitlements.entitlement_check / entitlement_allowed).

Names are followed, not types: a function reaches every project function or method its body names (through
imports, lazy imports inside functions included, module attributes, `self.…` methods of its class and of the
project base classes); naming a class reaches all of its methods. That over-approximates (a false alarm shows
its call chain and can be judged), and misses only calls made through values (callbacks, getattr)."""

from __future__ import annotations

import ast
import importlib.util
from collections import deque
from dataclasses import dataclass, field
from functools import cache

from django.urls import URLPattern, URLResolver, get_resolver

PROJECT = ("tenants", "api", "billing", "themes", "control_plane", "config")
PLAN_CHECK = frozenset({"billing.entitlements.entitlement_check", "billing.entitlements.entitlement_allowed"})


def _is_project(name: str) -> bool:
    return name.split(".", 1)[0] in PROJECT


@cache
def _source_of(module: str) -> str | None:
    if not _is_project(module):
        return None
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    with open(spec.origin, encoding="utf-8") as source:
        return source.read()


@dataclass
class Module:
    name: str
    imports: dict[str, str] = field(default_factory=dict)  # local name → qualified name
    functions: dict[str, ast.AST] = field(default_factory=dict)  # "f", "Cls.m" → node
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)


def _package(module: str, is_package: bool) -> str:
    return module if is_package else module.rpartition(".")[0]


@cache
def module(name: str) -> Module | None:
    source = _source_of(name)
    if source is None:
        return None
    spec = importlib.util.find_spec(name)
    package = _package(name, spec.submodule_search_locations is not None)
    tree = ast.parse(source)
    result = Module(name)
    for node in ast.walk(tree):  # lazy imports inside functions count: they are how cycles are broken here
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".", 1)[0]
                result.imports.setdefault(local, alias.name if alias.asname else local)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                result.imports.setdefault(alias.asname or alias.name, f"{base}.{alias.name}")
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            result.functions[node.name] = node
        elif isinstance(node, ast.ClassDef):
            result.classes[node.name] = node
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    result.functions[f"{node.name}.{item.name}"] = item
    return result


def resolve(qualified: str, depth: int = 0) -> str | None:
    """The definition a qualified name denotes ("pkg.mod.f", "pkg.mod.Cls", "pkg.mod.Cls.m"), following
    re-exports; None outside the project or when it names no function or class."""
    if depth > 10 or not _is_project(qualified):
        return None
    parts = qualified.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        found = module(".".join(parts[:cut]))
        if found is None:
            continue
        rest = parts[cut:]
        local = ".".join(rest)
        if local in found.functions or local in found.classes:
            return f"{found.name}.{local}"
        if rest[0] in found.imports:  # re-exported (from .x import f) or a module attribute
            return resolve(".".join([found.imports[rest[0]], *rest[1:]]), depth + 1)
        return None
    return None


def _dotted(node: ast.AST) -> list[str] | None:
    names = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    names.append(node.id)
    return names[::-1]


def class_methods(qualified_class: str, depth: int = 0) -> list[str]:
    """The class's methods and those of its project base classes."""
    name, _, cls = qualified_class.rpartition(".")
    mod = module(name)
    if mod is None or cls not in mod.classes or depth > 10:
        return []
    methods = [f"{name}.{key}" for key in mod.functions if key.startswith(f"{cls}.")]
    for base in mod.classes[cls].bases:
        dotted = _dotted(base)
        if dotted is None:
            continue
        target = _local(mod, dotted)
        if target is not None:
            methods += class_methods(target, depth + 1)
    return methods


def _local(mod: Module, dotted: list[str]) -> str | None:
    head = dotted[0]
    if head in mod.imports:
        return resolve(".".join([mod.imports[head], *dotted[1:]]))
    return resolve(".".join([mod.name, *dotted]))


def callees(qualname: str) -> set[str]:
    """What a function's body names: project functions and classes (resolved), and the plan check itself."""
    name, _, local = qualname.partition(":")
    mod = module(name)
    node = mod.functions.get(local) if mod is not None else None
    if node is None:
        return set()
    owner = local.split(".")[0] if "." in local else None
    found: set[str] = set()
    for sub in ast.walk(node):
        dotted = _dotted(sub) if isinstance(sub, (ast.Name, ast.Attribute)) else None
        if not dotted:
            continue
        if owner and dotted[0] in ("self", "cls") and len(dotted) > 1:
            dotted = [owner, *dotted[1:2]]
        for cut in range(len(dotted), 0, -1):  # the longest prefix that names something
            target = _local(mod, dotted[:cut])
            if target is not None:
                found.add(target)
                break
        else:
            head = dotted[0]
            if head in mod.imports and mod.imports[head] in PLAN_CHECK:
                found.add(mod.imports[head])
    return found


def _key(qualified: str) -> str | None:
    """ "module:local" for a resolved function or method."""
    mod_name, local = qualified, ""
    while mod_name and module(mod_name) is None:
        mod_name, _, last = mod_name.rpartition(".")
        local = f"{last}.{local}" if local else last
    return f"{mod_name}:{local}" if mod_name and local else None


def expand(qualified: str) -> list[str]:
    """Function keys for a resolved name: the function itself, or every method of a class."""
    key = _key(qualified)
    if key is None:
        return []
    mod_name, _, local = key.partition(":")
    mod = module(mod_name)
    if local in mod.classes:
        return [k for m in class_methods(qualified) if (k := _key(m))]
    return [key] if local in mod.functions else []


def path_to_plan_check(entries: list[str]) -> list[str] | None:
    """A call chain from one of the entry function keys to the plan check, or None."""
    parents: dict[str, str | None] = dict.fromkeys(entries)
    queue = deque(entries)
    while queue:
        current = queue.popleft()
        if current.startswith("billing.entitlements:"):
            continue  # the check's own module: reaching it is what is looked for, below
        for target in callees(current):
            if target in PLAN_CHECK:
                chain, step = [target], current
                while step is not None:
                    chain.append(step)
                    step = parents[step]
                return chain[::-1]
            for key in expand(target):
                if key not in parents:
                    parents[key] = current
                    queue.append(key)
    return None


def view_entries(view) -> list[str]:
    """The function keys a URL's view starts from: a project function, or every method of a class view, found
    through decorators (`__wrapped__`, and the closures of decorators that do not set it)."""
    entries: list[str] = []
    seen: set[int] = set()
    stack = [view]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        cls = getattr(current, "view_class", None) or getattr(current, "cls", None)
        if isinstance(cls, type):
            entries += expand(f"{cls.__module__}.{cls.__qualname__}")
            continue
        qualname = getattr(current, "__qualname__", "")
        if _is_project(getattr(current, "__module__", "") or "") and "<locals>" not in qualname:
            found = expand(f"{current.__module__}.{qualname}")
            if found:
                entries += found
                continue
        inner = getattr(current, "__wrapped__", None)
        if inner is not None:
            stack.append(inner)
        for cell in getattr(current, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if callable(value):
                stack.append(value)
    return entries


def tenant_urls(urlconf: str = "config.urls_tenants") -> list[tuple[str, str, object]]:
    """(route, name, view) of every URL on a tenant's host."""
    rows = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                rows.append((route, pattern.name or "", pattern.callback))

    walk(get_resolver(urlconf).url_patterns, "")
    return rows
