"""AutoGraph for the common cases: Python ``if``/``while``/``for`` statements of a
``tf.function`` rewritten (on the function's syntax tree) into calls that decide at run time
whether the statement is Python control flow or a traced conditional or loop.

What the rewrite does, statement by statement:

* ``if test:`` becomes two branch functions taking and returning the names the statement
  assigns, and ``ag__.if_stmt(test, true_fn, false_fn, state, names)``; when ``test`` is a
  tensor computed from the inputs that is one traced ``tf.cond`` (both branches traced),
  otherwise plain Python;
* an ``if`` with ``return`` in a branch takes the statements after it into the branches that
  do not return, so both branches end in a return (``ag__.if_return``);
* ``while test:`` and ``for x in iterable:`` become a body function over the names the loop
  assigns and ``ag__.while_stmt``/``ag__.for_stmt``: a loop over a tensor (``tf.range(n)``,
  a tensor's rows) or while a traced tensor condition holds is one traced ``tf.while_loop``
  (the body's Python runs once per trace); other loops run as Python;
* ``break`` and ``continue`` become flags carried by the loop, the statements after them
  guarded by ``if not flag``; ``not``/``and``/``or`` in tests work on tensors;
* ``return`` inside a loop over a tensor is TF's NotImplementedError.

Functions called from the converted one are not converted (TF converts them recursively);
``print`` stays Python (it runs when tracing), ``tf.print`` runs on every call.
"""
import ast
import copy
import inspect
import logging
import textwrap
import types

from . import _runtime

_log = logging.getLogger("tapeflow")
_MARK = "ag__"
_converted = {}  # (code, id(globals)) -> converted function or None


# -- syntax helpers ------------------------------------------------------------------------------
def _name(n, store=False):
    return ast.Name(id=n, ctx=ast.Store() if store else ast.Load())


def _ag(attr):
    return ast.Attribute(value=_name(_MARK), attr=attr, ctx=ast.Load())


def _call(fn, *args):
    return ast.Call(func=fn, args=list(args), keywords=[])


def _tuple(elts, store=False):
    return ast.Tuple(elts=list(elts), ctx=ast.Store() if store else ast.Load())


def _lambda(body):
    return ast.Lambda(args=ast.arguments(posonlyargs=[], args=[], vararg=None,
                                         kwonlyargs=[], kw_defaults=[], kwarg=None,
                                         defaults=[]), body=body)


def _def(name, params, body):
    return ast.FunctionDef(
        name=name, args=ast.arguments(posonlyargs=[], args=[ast.arg(arg=p) for p in params],
                                      vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None,
                                      defaults=[]),
        body=body or [ast.Pass()], decorator_list=[], returns=None, type_params=[])


def _state_load(names):
    return _tuple([_call(_ag("ld"), _lambda(_name(n))) for n in names])


def _str_tuple(names):
    return _tuple([ast.Constant(n) for n in names])


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp,
           ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _walk_scope(nodes):
    """Every node under ``nodes`` that is in their own scope (not in nested functions,
    classes or comprehensions; those nodes themselves are yielded)."""
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _SCOPES):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _assigned(stmts):
    """Names the statements assign in this scope, in order of first assignment."""
    out, declared = [], set()
    for node in _walk_scope(stmts):
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.update(node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            if node.id not in out:
                out.append(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name not in out:
                out.append(node.name)
        elif isinstance(node, ast.alias):
            n = (node.asname or node.name).split(".")[0]
            if n not in out:
                out.append(n)
    return [n for n in out if n not in declared]


def _has(stmts, kinds, loops=True):
    """Whether ``kinds`` occur in these statements (inside nested loops too, unless
    ``loops`` is False), not counting nested functions."""
    stack = list(stmts)
    while stack:
        node = stack.pop()
        if isinstance(node, kinds):
            return True
        if isinstance(node, _SCOPES):
            continue
        if not loops and isinstance(node, (ast.For, ast.While, ast.AsyncFor)):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False


def _always_returns(stmts):
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, (ast.Return, ast.Raise)):
        return True
    if isinstance(last, ast.If):
        return _always_returns(last.body) and _always_returns(last.orelse)
    return False


def _guard_returns(stmts):
    """Move the statements after an ``if`` that returns into the branches that do not, so
    the ``if`` ends the block and both of its branches end in a return."""
    for k, st in enumerate(stmts):
        if isinstance(st, ast.If) and _has(st.body + st.orelse, ast.Return, loops=False):
            rest = stmts[k + 1:]
            body, orelse = st.body, st.orelse
            if rest:
                if not _always_returns(body):
                    body = body + copy.deepcopy(rest)
                if not _always_returns(orelse):
                    orelse = orelse + copy.deepcopy(rest)
            st.body = _guard_returns(body)
            st.orelse = _guard_returns(orelse)
            return stmts[:k] + [st]
    return stmts


class _Converter:
    def __init__(self):
        self.n = 0
        self.changed = False

    def fresh(self, what):
        self.n += 1
        return f"ag__{what}_{self.n}"

    # -- blocks --------------------------------------------------------------------------
    def block(self, stmts):
        out = []
        for st in _guard_returns(list(stmts)):
            out.extend(self.stmt(st))
        return out

    def stmt(self, st):
        if isinstance(st, ast.If):
            return self.if_(st)
        if isinstance(st, ast.While) and not st.orelse:
            return self.while_(st)
        if isinstance(st, ast.For) and not st.orelse:
            return self.for_(st)
        if isinstance(st, (ast.With, ast.AsyncWith)):
            st.body = self.block(st.body)
        elif isinstance(st, ast.Try):
            st.body = self.block(st.body)
            for h in st.handlers:
                h.body = self.block(h.body)
            st.orelse = self.block(st.orelse)
            st.finalbody = self.block(st.finalbody)
        return [st]

    def test(self, node):
        """``not``/``and``/``or`` of a test as ``ag__`` calls (they work on tensors)."""
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return _call(_ag("not_"), self.test(node.operand))
        if isinstance(node, ast.BoolOp):
            fn = _ag("and_" if isinstance(node.op, ast.And) else "or_")
            values = [self.test(v) for v in node.values]
            out = values[-1]
            for v in reversed(values[:-1]):
                out = _call(fn, _lambda(v), _lambda(out))
            return out
        return node

    # -- if ------------------------------------------------------------------------------
    def if_(self, st):
        self.changed = True
        returns = _has(st.body + st.orelse, ast.Return, loops=False)
        names = [] if returns else _assigned(st.body + st.orelse)
        if returns:  # both branches end in a return once _guard_returns ran
            names = _assigned(st.body + st.orelse)
        t_name, f_name = self.fresh("if_true"), self.fresh("if_false")
        tail = [] if returns else [ast.Return(value=_tuple([_name(n) for n in names]))]
        t_def = _def(t_name, names, self.block(st.body) + tail)
        f_def = _def(f_name, names, self.block(st.orelse) + tail)
        call = _call(_ag("if_return" if returns else "if_stmt"), self.test(st.test),
                     _name(t_name), _name(f_name), _state_load(names), _str_tuple(names))
        if returns:
            last = ast.Return(value=call)
        elif names:
            last = ast.Assign(targets=[_tuple([_name(n, True) for n in names], True)],
                              value=call)
        else:
            last = ast.Expr(value=call)
        return [_at(n, st) for n in (t_def, f_def, last)]

    # -- loops ---------------------------------------------------------------------------
    def _loop_flags(self, body):
        brk = self.fresh("break") if _has(body, ast.Break, loops=False) else None
        cont = self.fresh("continue") if _has(body, ast.Continue, loops=False) else None
        body = _lower_jumps(body, brk, cont)
        if cont:
            body = [ast.Assign(targets=[_name(cont, True)], value=ast.Constant(False))] + body
        return body, brk, cont

    def while_(self, st):
        if _has(st.body, ast.Return, loops=False):
            st.test = _call(_ag("check_loop_test"), st.test)
            self.changed = True
            return [st]  # as Python; a traced condition gets TF's error
        self.changed = True
        body, brk, cont = self._loop_flags(st.body)
        init = [ast.Assign(targets=[_name(f, True)], value=ast.Constant(False))
                for f in (brk, cont) if f]
        names = _assigned(body)
        test = self.test(st.test)
        if brk:
            test = _call(_ag("and_"), _lambda(_call(_ag("not_"), _name(brk))), _lambda(test))
        c_name, b_name = self.fresh("loop_test"), self.fresh("loop_body")
        c_def = _def(c_name, names, [ast.Return(value=test)])
        b_def = _def(b_name, names, self.block(body)
                     + [ast.Return(value=_tuple([_name(n) for n in names]))])
        call = _call(_ag("while_stmt"), _name(c_name), _name(b_name), _state_load(names),
                     _str_tuple(names))
        last = ast.Assign(targets=[_tuple([_name(n, True) for n in names], True)], value=call)
        return [_at(n, st) for n in (*init, c_def, b_def, last)]

    def for_(self, st):
        if _has(st.body, ast.Return, loops=False):
            st.iter = _call(_ag("check_loop_iter"), st.iter)
            self.changed = True
            return [st]
        self.changed = True
        body, brk, cont = self._loop_flags(st.body)
        init = [ast.Assign(targets=[_name(f, True)], value=ast.Constant(False))
                for f in (brk, cont) if f]
        item = self.fresh("item")
        target = [ast.Assign(targets=[st.target], value=_name(item))]
        names = [n for n in _assigned(body) if n not in _assigned(target)]
        b_name = self.fresh("loop_body")
        b_def = _def(b_name, [item] + names, target + self.block(body)
                     + [ast.Return(value=_tuple([_name(n) for n in names]))])
        extra = ast.Constant(None)
        out = [*init]
        if brk:
            e_name = self.fresh("extra_test")
            out.append(_def(e_name, names, [ast.Return(value=_call(_ag("not_"), _name(brk)))]))
            extra = _name(e_name)
        it = st.iter
        if (isinstance(it, ast.Call) and not it.keywords and (
                (isinstance(it.func, ast.Name) and it.func.id == "range")
                or (isinstance(it.func, ast.Attribute) and it.func.attr == "range"))):
            it = _call(_ag("range_"), it.func, *it.args)
        call = _call(_ag("for_stmt"), it, _name(b_name), _state_load(names),
                     _str_tuple(names), extra)
        out += [b_def, ast.Assign(targets=[_tuple([_name(n, True) for n in names], True)],
                                  value=call)]
        return [_at(n, st) for n in out]


def _lower_jumps(stmts, brk, cont):
    """``break``/``continue`` of this loop level as flag assignments, later statements of
    each block guarded by ``if not (flag)``."""
    if not brk and not cont:
        return stmts
    out = []
    for k, st in enumerate(stmts):
        if isinstance(st, ast.Break):
            out.append(_at(ast.Assign(targets=[_name(brk, True)], value=ast.Constant(True)),
                           st))
            return out
        if isinstance(st, ast.Continue):
            out.append(_at(ast.Assign(targets=[_name(cont, True)], value=ast.Constant(True)),
                           st))
            return out
        if _has([st], (ast.Break, ast.Continue), loops=False):
            if isinstance(st, ast.If):
                st.body = _lower_jumps(st.body, brk, cont)
                st.orelse = _lower_jumps(st.orelse, brk, cont)
            elif isinstance(st, (ast.With, ast.Try)):
                st.body = _lower_jumps(st.body, brk, cont)
            out.append(st)
            rest = stmts[k + 1:]
            if rest:
                flags = [_name(f) for f in (brk, cont) if f]
                guard = _call(_ag("not_any"), *flags)
                out.append(_at(ast.If(test=guard, body=_lower_jumps(rest, brk, cont),
                                      orelse=[]), st))
            return out
        out.append(st)
    return out


_KEEP_CALLS = {"super", "locals", "globals", "vars", "eval", "exec", "print", "range", "len",
               "isinstance", "getattr", "setattr", "hasattr", "type", "id", "iter", "next",
               "zip", "enumerate", "list", "tuple", "dict", "set", "int", "float", "bool",
               "str", "min", "max", "abs", "sum", "sorted", "reversed", "map", "filter"}


class _Subscripts(ast.NodeTransformer):
    user_calls = False

    """``x[i]`` (one index, read) as ``ag__.getitem(x, i)``: a traced tensor index gathers
    instead of becoming a Python int; calls as ``ag__.call(f, ...)``, which converts the user
    functions they reach (TF's recursive conversion)."""

    def visit_Call(self, node):
        self.generic_visit(node)
        f = node.func
        if isinstance(f, ast.Name) and f.id in _KEEP_CALLS:
            return node
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and \
                f.value.id == _MARK:
            return node
        if not (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
                and f.value.id in ("tf", "np", "numpy", "math")):
            self.user_calls = True  # a call that may reach a user function
        return ast.copy_location(ast.Call(func=_ag("call"), args=[f] + node.args,
                                          keywords=node.keywords), node)

    def visit_Subscript(self, node):
        self.generic_visit(node)
        if isinstance(node.ctx, ast.Load) and not isinstance(node.slice, (ast.Slice,
                                                                          ast.Tuple)):
            return ast.copy_location(_call(_ag("getitem"), node.value, node.slice), node)
        return node


def _at(node, like):
    ast.copy_location(node, like)
    ast.fix_missing_locations(node)
    for n in ast.walk(node):
        if not hasattr(n, "lineno") or n.lineno is None:
            ast.copy_location(n, like)
    return node


# -- building the converted function ---------------------------------------------------------------
def _tree(fn):
    """The converted ``FunctionDef`` of ``fn`` or None (no source, nothing to convert)."""
    try:
        src = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        return None
    try:
        tree = ast.parse(src)
    except SyntaxError:  # e.g. a lambda in the middle of an expression
        return None
    if not tree.body or not isinstance(tree.body[0], ast.FunctionDef):
        return None
    fdef = tree.body[0]
    if fdef.name != fn.__name__:
        return None
    fdef.decorator_list = []
    conv = _Converter()
    fdef.body = conv.block(fdef.body)
    calls = _Subscripts()
    fdef.body = [calls.visit(st) for st in fdef.body]
    if not conv.changed and not calls.user_calls:
        return None
    ast.increment_lineno(tree, fn.__code__.co_firstlineno - 1)
    return tree


def convert(fn):
    """``fn`` with its control flow converted (or ``fn`` itself when there is nothing to
    convert, no source, or it is marked ``do_not_convert``)."""
    if getattr(fn, "__tapeflow_do_not_convert__", False):
        return fn
    inner = getattr(fn, "__func__", fn)
    if not isinstance(inner, types.FunctionType) or inner.__name__ == "<lambda>":
        return fn
    if getattr(inner, "__tapeflow_do_not_convert__", False):
        return fn
    if (inner.__module__ or "").startswith("tapeflow."):  # the library's own Python
        return fn
    key = (inner.__code__, id(inner.__globals__))
    fcode = _converted.get(key, False)
    if fcode is False:
        try:
            fcode = _build(inner)
        except Exception as e:  # never fail the user's function: it runs as written
            _log.debug("AutoGraph could not convert %s: %s", inner.__name__, e)
            fcode = None
        _converted[key] = fcode
    if fcode is None:
        return fn
    new = _instantiate(fcode, inner)
    if new is None:
        return fn
    if inner is not fn:  # a bound method
        return types.MethodType(new, fn.__self__)
    return new


def _build(inner):
    tree = _tree(inner)
    if tree is None:
        return None
    fdef = tree.body[0]
    freevars = list(inner.__code__.co_freevars)
    params = [_MARK] + [v for v in freevars if v != _MARK]
    factory = _def("ag__factory", params, [fdef, ast.Return(value=_name(fdef.name))])
    _at(factory, fdef)
    module = ast.Module(body=[factory], type_ignores=[])
    ast.fix_missing_locations(module)
    code = compile(module, inner.__code__.co_filename, "exec")
    fcode = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    return next(c for c in fcode.co_consts
                if isinstance(c, types.CodeType) and c.co_name == inner.__name__)


def _instantiate(fcode, inner):
    """The converted code as a function with ``inner``'s globals, defaults and closure."""
    cells = dict(zip(inner.__code__.co_freevars, inner.__closure__ or ()))
    cells[_MARK] = types.CellType(_runtime)
    if any(v not in cells for v in fcode.co_freevars):
        return None
    closure = tuple(cells[v] for v in fcode.co_freevars)
    new = types.FunctionType(fcode, inner.__globals__, inner.__name__, inner.__defaults__,
                             closure)
    new.__kwdefaults__ = inner.__kwdefaults__
    new.__dict__.update(inner.__dict__)
    new.__qualname__ = inner.__qualname__
    new.__doc__ = inner.__doc__
    new.__module__ = inner.__module__
    new.__wrapped_by_autograph__ = inner
    return new


def converted_source(fn):
    """The converted source of ``fn`` (``tf.autograph.to_code``), or None."""
    inner = getattr(fn, "__func__", fn)
    tree = _tree(inner)
    return None if tree is None else ast.unparse(tree.body[0]) + "\n"
