package lockq

// tnode is one waiter's place in one lock's queue. Nodes live inside the
// waiter (one per lock it asks for), so queueing allocates nothing extra.
type tnode struct {
	left, right *tnode
	size        int32  // nodes in this subtree, for positions
	prio        uint32 // heap priority; a hash of the order key keeps it deterministic
	w           *waiter
}

func (n *tnode) sz() int32 {
	if n == nil {
		return 0
	}
	return n.size
}

func (n *tnode) fix() { n.size = 1 + n.left.sz() + n.right.sz() }

// treap is an ordered set of waiters, by order key.
type treap struct{ root *tnode }

func (t *treap) len() int { return int(t.root.sz()) }

func (t *treap) insert(n *tnode) {
	n.left, n.right, n.size = nil, nil, 1
	n.prio = mix(n.w.key)
	t.root = insertNode(t.root, n)
}

func insertNode(root, n *tnode) *tnode {
	if root == nil {
		return n
	}
	if n.w.key.less(root.w.key) {
		root.left = insertNode(root.left, n)
		if root.left.prio > root.prio {
			root = rotateRight(root)
		}
	} else {
		root.right = insertNode(root.right, n)
		if root.right.prio > root.prio {
			root = rotateLeft(root)
		}
	}
	root.fix()
	return root
}

func (t *treap) remove(n *tnode) { t.root = removeNode(t.root, n.w.key) }

func removeNode(root *tnode, k orderKey) *tnode {
	if root == nil {
		return nil
	}
	switch {
	case k.less(root.w.key):
		root.left = removeNode(root.left, k)
	case root.w.key.less(k):
		root.right = removeNode(root.right, k)
	default:
		return merge(root.left, root.right)
	}
	root.fix()
	return root
}

func merge(a, b *tnode) *tnode {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case a.prio > b.prio:
		a.right = merge(a.right, b)
		a.fix()
		return a
	default:
		b.left = merge(a, b.left)
		b.fix()
		return b
	}
}

func rotateRight(n *tnode) *tnode {
	l := n.left
	n.left, l.right = l.right, n
	n.fix()
	l.fix()
	return l
}

func rotateLeft(n *tnode) *tnode {
	r := n.right
	n.right, r.left = r.left, n
	n.fix()
	r.fix()
	return r
}

func (t *treap) first() *waiter {
	n := t.root
	if n == nil {
		return nil
	}
	for n.left != nil {
		n = n.left
	}
	return n.w
}

// after returns the first waiter whose key is greater than k.
func (t *treap) after(k orderKey) *waiter {
	var best *waiter
	for n := t.root; n != nil; {
		if k.less(n.w.key) {
			best = n.w
			n = n.left
		} else {
			n = n.right
		}
	}
	return best
}

// rank counts the waiters whose key is less than k.
func (t *treap) rank(k orderKey) int {
	r := 0
	for n := t.root; n != nil; {
		if n.w.key.less(k) {
			r += int(n.left.sz()) + 1
			n = n.right
		} else {
			n = n.left
		}
	}
	return r
}

// each calls fn on every waiter in order until fn returns false.
func (t *treap) each(fn func(*waiter) bool) { eachNode(t.root, fn) }

func eachNode(n *tnode, fn func(*waiter) bool) bool {
	if n == nil {
		return true
	}
	return eachNode(n.left, fn) && fn(n.w) && eachNode(n.right, fn)
}

// mix spreads an order key into a heap priority (splitmix64); treap shape
// then depends only on the keys, never on a random source.
func mix(k orderKey) uint32 {
	x := k.seq*0x9e3779b97f4a7c15 ^ uint64(k.created) ^ uint64(uint32(k.priority))<<32
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return uint32(x)
}
