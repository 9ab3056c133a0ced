"""A griffe extension for the docs site (mkdocs.yml loads it through mkdocstrings).

griffe reads ``__all__`` statically, but not ``list(name)``: ``tapeflow.math`` writes
``__all__ = list(_m) + list(_r) + ["top_k"]`` with ``_m``/``_r`` imported from other
modules' ``__all__``. Here ``list(x)`` and ``tuple(x)`` count as ``x``, so griffe expands
those modules' exports as it does for ``__all__ = _m + _r + [...]``.
"""
from __future__ import annotations

import ast

import griffe


def _names(node, mod):
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _names(node.left, mod) + _names(node.right, mod)
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in ("list", "tuple") and len(node.args) == 1 and not node.keywords):
        return _names(node.args[0], mod)
    if isinstance(node, ast.Name):
        return [griffe.ExprName(node.id, mod)]
    if isinstance(node, (ast.List, ast.Tuple)) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
        return [e.value for e in node.elts]
    raise ValueError(f"unsupported __all__ item {ast.dump(node)}")


class ListAllExports(griffe.Extension):
    def on_module_members(self, *, node, mod, agent, **kwargs):
        if not isinstance(node, ast.Module):
            return
        for stmt in node.body:
            if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                    and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id == "__all__"
                    and any(isinstance(n, ast.Call) for n in ast.walk(stmt.value))):
                mod.exports = _names(stmt.value, mod)
