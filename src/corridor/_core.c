/* The search core of corridor: one multi-source Dijkstra over the compiled CSR arrays.
 *
 * engine.py holds the same algorithm in Python for when this module is not built; both pop
 * nodes in the order of (cost, node number) and relax edges in storage order with a strict
 * improvement, so they settle the same nodes through the same edges.
 *
 * Arrays arrive through the buffer protocol (array.array, memoryview over a cache file); every
 * index read from them is bounds-checked, so a damaged array cannot make this read outside it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    double key;
    int node;
} Item;

typedef struct {
    Item *items;
    Py_ssize_t size, capacity;
} Heap;

static inline int item_less(Item a, Item b) {
    return a.key < b.key || (a.key == b.key && a.node < b.node);
}

/* A 4-ary heap: shallower than a binary one, with the children of a node side by side in memory
 * (about 7% faster on the bundled network); it pops in the same (cost, node) order. */
static int heap_push(Heap *h, double key, int node) {
    if (h->size == h->capacity) {
        Py_ssize_t capacity = h->capacity ? h->capacity * 2 : 1024;
        Item *items = realloc(h->items, (size_t)capacity * sizeof(Item));
        if (items == NULL) return -1;
        h->items = items;
        h->capacity = capacity;
    }
    Py_ssize_t i = h->size++;
    Item item = {key, node};
    while (i > 0) {
        Py_ssize_t parent = (i - 1) / 4;
        if (!item_less(item, h->items[parent])) break;
        h->items[i] = h->items[parent];
        i = parent;
    }
    h->items[i] = item;
    return 0;
}

static Item heap_pop(Heap *h) {
    Item top = h->items[0];
    Item last = h->items[--h->size];
    Py_ssize_t i = 0, n = h->size;
    for (;;) {
        Py_ssize_t first = 4 * i + 1;
        if (first >= n) break;
        Py_ssize_t best = first, stop = first + 4 < n ? first + 4 : n;
        for (Py_ssize_t c = first + 1; c < stop; c++)
            if (item_less(h->items[c], h->items[best])) best = c;
        if (!item_less(h->items[best], last)) break;
        h->items[i] = h->items[best];
        i = best;
    }
    if (n > 0) h->items[i] = last;
    return top;
}

/* A buffer of a given item size and length (length -1: any). */
static int get_buffer(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, Py_ssize_t length, int writable,
                      const char *name) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0)) < 0)
        return -1;
    if (view->itemsize != itemsize || (length >= 0 && view->len / itemsize != length)) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zd items of %zd bytes, got %zd of %zd", name, length,
                     itemsize, view->len / (view->itemsize ? view->itemsize : 1), view->itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

#define MAX_SUMS 8

static PyObject *dijkstra(PyObject *self, PyObject *args) {
    PyObject *indptr_o, *order_o, *head_o, *from_o, *weight_o, *edge_ok_o, *node_ok_o, *sources_o, *targets_o, *dist_o, *pred_o,
        *sum_weights_o, *sum_out_o;
    int stop;
    double limit, stretch;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOiddOOOO", &indptr_o, &order_o, &head_o, &from_o, &weight_o, &edge_ok_o,
                          &node_ok_o, &sources_o, &targets_o, &stop, &limit, &stretch, &dist_o, &pred_o,
                          &sum_weights_o, &sum_out_o))
        return NULL;

    Py_buffer indptr = {0}, order = {0}, head = {0}, from = {0}, weight = {0}, edge_ok = {0}, node_ok = {0}, dist = {0},
              pred = {0};
    Py_buffer sum_w[MAX_SUMS], sum_out[MAX_SUMS];
    int n_sums = 0, n_sum_out = 0;
    unsigned char *settled = NULL, *is_target = NULL;
    Heap heap = {NULL, 0, 0};
    PyObject *result = NULL;
    long settled_count = 0;

    if (get_buffer(indptr_o, &indptr, sizeof(int), -1, 0, "indptr") < 0) goto done;
    Py_ssize_t n = indptr.len / (Py_ssize_t)sizeof(int) - 1;
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "indptr is empty");
        goto done;
    }
    if (get_buffer(head_o, &head, sizeof(int), -1, 0, "head") < 0) goto done;
    Py_ssize_t m = head.len / (Py_ssize_t)sizeof(int);
    if (order_o != Py_None && get_buffer(order_o, &order, sizeof(int), m, 0, "order") < 0) goto done;
    if (get_buffer(from_o, &from, sizeof(int), m, 0, "from") < 0) goto done;
    if (get_buffer(weight_o, &weight, sizeof(double), m, 0, "weight") < 0) goto done;
    if (edge_ok_o != Py_None && get_buffer(edge_ok_o, &edge_ok, 1, m, 0, "edge_ok") < 0) goto done;
    if (node_ok_o != Py_None && get_buffer(node_ok_o, &node_ok, 1, n, 0, "node_ok") < 0) goto done;
    if (get_buffer(dist_o, &dist, sizeof(double), n, 1, "dist") < 0) goto done;
    if (get_buffer(pred_o, &pred, sizeof(int), n, 1, "pred") < 0) goto done;
    if (sum_weights_o != Py_None) {
        if (!PyTuple_Check(sum_weights_o) || !PyTuple_Check(sum_out_o) ||
            PyTuple_GET_SIZE(sum_weights_o) != PyTuple_GET_SIZE(sum_out_o) ||
            PyTuple_GET_SIZE(sum_weights_o) > MAX_SUMS) {
            PyErr_SetString(PyExc_ValueError, "sums: two tuples of equal length, at most 8");
            goto done;
        }
        for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(sum_weights_o); k++) {
            if (get_buffer(PyTuple_GET_ITEM(sum_weights_o, k), &sum_w[k], sizeof(double), m, 0, "sum weight") < 0)
                goto done;
            n_sums++;
            if (get_buffer(PyTuple_GET_ITEM(sum_out_o, k), &sum_out[k], sizeof(double), n, 1, "sum out") < 0)
                goto done;
            n_sum_out++;
        }
    }

    const int *ip = indptr.buf, *hd = head.buf, *fr = from.buf, *ord = order_o != Py_None ? order.buf : NULL;
    const double *w = weight.buf;
    const unsigned char *eok = edge_ok_o != Py_None ? edge_ok.buf : NULL;
    const unsigned char *nok = node_ok_o != Py_None ? node_ok.buf : NULL;
    double *d = dist.buf;
    int *p = pred.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        d[i] = INFINITY;
        p[i] = -1;
    }
    for (int k = 0; k < n_sums; k++) memset(sum_out[k].buf, 0, (size_t)n * sizeof(double));
    settled = calloc((size_t)n + 1, 1);
    is_target = calloc((size_t)n + 1, 1);
    if (settled == NULL || is_target == NULL) {
        PyErr_NoMemory();
        goto done;
    }

    Py_ssize_t remaining = 0;
    PyObject *targets = PySequence_Fast(targets_o, "targets must be a sequence of node numbers");
    if (targets == NULL) goto done;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(targets); i++) {
        long t = PyLong_AsLong(PySequence_Fast_GET_ITEM(targets, i));
        if (t == -1 && PyErr_Occurred()) {
            Py_DECREF(targets);
            goto done;
        }
        if (t < 0 || t >= n) {
            Py_DECREF(targets);
            PyErr_Format(PyExc_IndexError, "target %ld is not a node", t);
            goto done;
        }
        if (!is_target[t]) {
            is_target[t] = 1;
            remaining++;
        }
    }
    Py_DECREF(targets);

    PyObject *sources = PySequence_Fast(sources_o, "sources must be a sequence of (node, cost)");
    if (sources == NULL) goto done;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(sources); i++) {
        int node;
        double cost;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(sources, i), "id", &node, &cost)) {
            Py_DECREF(sources);
            goto done;
        }
        if (node < 0 || node >= n) {
            Py_DECREF(sources);
            PyErr_Format(PyExc_IndexError, "source %d is not a node", node);
            goto done;
        }
        if ((nok && !nok[node]) || !(cost < d[node])) continue;
        d[node] = cost;
        if (heap_push(&heap, cost, node) < 0) {
            Py_DECREF(sources);
            PyErr_NoMemory();
            goto done;
        }
    }
    Py_DECREF(sources);

    /* The search touches no Python object: other threads run meanwhile (matrices use them). */
    enum { OK, BAD_FROM, BAD_INDPTR, BAD_ORDER, BAD_HEAD, NO_MEMORY } failure = OK;
    int bad = 0;
    Py_BEGIN_ALLOW_THREADS
    while (heap.size > 0 && failure == OK) {
        Item top = heap_pop(&heap);
        int u = top.node;
        if (settled[u] || top.key > d[u]) continue;
        if (top.key > limit) break;
        settled[u] = 1;
        settled_count++;
        if (n_sums && stop != 2 && p[u] >= 0) {
            int e = p[u], origin = fr[e];
            if (origin < 0 || origin >= n) {
                failure = BAD_FROM;
                bad = e;
                break;
            }
            for (int k = 0; k < n_sums; k++) {
                double *out = sum_out[k].buf;
                out[u] = out[origin] + ((const double *)sum_w[k].buf)[e];
            }
        }
        if (is_target[u]) {
            remaining--;
            if (stop == 1 || (stop == 2 && remaining == 0)) break;
            /* stop 3: settle on until costs pass `stretch` times the first target's. */
            if (stop == 3 && top.key * stretch < limit) limit = top.key * stretch;
        }
        int start = ip[u], end = ip[u + 1];
        if (start < 0 || end > m || start > end) {
            failure = BAD_INDPTR;
            bad = u;
            break;
        }
        for (int k = start; k < end; k++) {
            int e = ord ? ord[k] : k;
            if (e < 0 || e >= m) {
                failure = BAD_ORDER;
                bad = k;
                break;
            }
            if (eok && !eok[e]) continue;
            int v = hd[e];
            if (v < 0 || v >= n) {
                failure = BAD_HEAD;
                bad = e;
                break;
            }
            if (settled[v] || (nok && !nok[v])) continue;
            /* Stopping at the first target or once all are settled, a dead end that is not one
             * can wait: no route to a target passes through it (origins and destinations are
             * the only such nodes). */
            if ((stop == 1 || stop == 2) && ip[v] == ip[v + 1] && !is_target[v]) continue;
            double candidate = top.key + w[e];
            if (candidate < d[v]) {
                d[v] = candidate;
                p[v] = e;
                if (heap_push(&heap, candidate, v) < 0) {
                    failure = NO_MEMORY;
                    break;
                }
            }
        }
    }
    /* Settling every target, totals are wanted at the targets: walk up from each to the first
     * node already totalled (or a source) and total the nodes on the way down, a few thousand
     * of the tens of thousands settled. A totalled node is marked 2 in `settled`. */
    if (n_sums && stop == 2 && failure == OK) {
        int *chain = malloc((size_t)(n > 0 ? n : 1) * sizeof(int));
        if (chain == NULL) failure = NO_MEMORY;
        for (Py_ssize_t t = 0; chain != NULL && t < n && failure == OK; t++) {
            if (!is_target[t] || settled[t] != 1) continue;
            Py_ssize_t depth = 0;
            int u = (int)t;
            while (settled[u] == 1 && p[u] >= 0) {
                settled[u] = 2;
                chain[depth++] = u;
                int origin = fr[p[u]];
                if (origin < 0 || origin >= n) {
                    failure = BAD_FROM;
                    bad = p[u];
                    break;
                }
                u = origin;
            }
            while (failure == OK && depth > 0) {
                int v = chain[--depth], e = p[v], origin = fr[e];
                for (int k = 0; k < n_sums; k++) {
                    double *out = sum_out[k].buf;
                    out[v] = out[origin] + ((const double *)sum_w[k].buf)[e];
                }
            }
        }
        free(chain);
    }
    /* Nodes reached but never settled (past the stop) keep no distance: only settled ones count. */
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!settled[i]) {
            d[i] = INFINITY;
            p[i] = -1;
        }
    }
    Py_END_ALLOW_THREADS
    switch (failure) {
    case BAD_FROM:
        PyErr_Format(PyExc_ValueError, "edge %d comes from outside the graph", bad);
        goto done;
    case BAD_INDPTR:
        PyErr_Format(PyExc_ValueError, "indptr is damaged at node %d", bad);
        goto done;
    case BAD_ORDER:
        PyErr_Format(PyExc_ValueError, "order is damaged at %d", bad);
        goto done;
    case BAD_HEAD:
        PyErr_Format(PyExc_ValueError, "edge %d leads outside the graph", bad);
        goto done;
    case NO_MEMORY:
        PyErr_NoMemory();
        goto done;
    case OK:
        break;
    }
    result = PyLong_FromLong(settled_count);

done:
    free(heap.items);
    free(settled);
    free(is_target);
    if (indptr.obj) PyBuffer_Release(&indptr);
    if (order.obj) PyBuffer_Release(&order);
    if (from.obj) PyBuffer_Release(&from);
    if (head.obj) PyBuffer_Release(&head);
    if (weight.obj) PyBuffer_Release(&weight);
    if (edge_ok.obj) PyBuffer_Release(&edge_ok);
    if (node_ok.obj) PyBuffer_Release(&node_ok);
    if (dist.obj) PyBuffer_Release(&dist);
    if (pred.obj) PyBuffer_Release(&pred);
    for (int k = 0; k < n_sums; k++) PyBuffer_Release(&sum_w[k]);
    for (int k = 0; k < n_sum_out; k++) PyBuffer_Release(&sum_out[k]);
    return result;
}

static PyMethodDef methods[] = {
    {"dijkstra", dijkstra, METH_VARARGS,
     "dijkstra(indptr, order, head, from, weight, edge_ok, node_ok, sources, targets, stop, limit, stretch, dist, "
     "pred, "
     "sum_weights, sum_out) -> settled\n\nMulti-source Dijkstra; see corridor.engine.search."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_core", "corridor's compiled search core.", -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__core(void) { return PyModule_Create(&module); }
