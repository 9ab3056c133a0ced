"""``tf.train.TrackableView`` (the object graph of live objects) and
``tf.train.CheckpointView`` (the object graph stored in a checkpoint)."""
from . import _bundle
from ._checkpoint import _decode_graph, _lookup, _resolve
from ._tracking import Graph, children


class TrackableView:
    """The trackable objects reachable from ``root``, as a checkpoint of it would save."""

    def __init__(self, root):
        self._root = root

    @property
    def root(self):
        return self._root

    @classmethod
    def children(cls, obj, save_type="checkpoint", **kwargs):
        """``{local name: child}`` of one trackable object."""
        return dict(children(obj))

    def descendants(self):
        """Every object reachable from the root (the root first), breadth first."""
        return list(Graph(self._root).objects)


class CheckpointView:
    """The object graph of the checkpoint at ``save_path``: nodes are numbered as in the
    file (0 is the root ``Checkpoint``)."""

    def __init__(self, save_path):
        path = _resolve(save_path)
        reader = _bundle.BundleReader(path)
        if _bundle.OBJECT_GRAPH_KEY not in reader.entries:
            raise ValueError(f"Checkpoint '{path}' has no object graph "
                             f"({_bundle.OBJECT_GRAPH_KEY}).")
        self._nodes = _decode_graph(reader.tensor(_bundle.OBJECT_GRAPH_KEY)[()],
                                    f"Checkpoint '{path}'")

    def children(self, node_id):
        """``{local name: child node id}`` of one node."""
        return {name: j for j, name in self._nodes[node_id].children}

    def descendants(self):
        """The ids of every node reachable from the root (0 first), breadth first."""
        seen, queue = {0}, [0]
        for i in queue:
            for j, _ in self._nodes[i].children:
                if j not in seen:
                    seen.add(j)
                    queue.append(j)
        return queue

    def match(self, obj):
        """``{node id: object}``: the objects of ``obj``'s graph found at the checkpoint's
        nodes, matched by local names from the root."""
        found, queue = {0: obj}, [0]
        for i in queue:
            kids = dict(children(found[i]))
            for j, name in self._nodes[i].children:
                if j in found:
                    continue
                child = _lookup(kids, name)
                if child is not None:
                    found[j] = child
                    queue.append(j)
        return found

    def diff(self, obj):
        """``(matched {node id: object}, node ids only in the checkpoint, objects only in
        obj's graph)``."""
        matched = self.match(obj)
        only_ckpt = [i for i in self.descendants() if i not in matched]
        ids = {id(v) for v in matched.values()}
        only_obj = [o for o in Graph(obj).objects if id(o) not in ids]
        return matched, only_ckpt, only_obj
