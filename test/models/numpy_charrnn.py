"""Independent numpy reference for test/models/charrnn.test.ts: an ml5 charRNN checkpoint (TF
MultiRNNCell of BasicLSTMCell, gates i, j, f, o, forget bias 1.0) scored in bits per character with
the protocol of charRnnBitsPerChar (unknown characters dropped, the first max_chars cut into
`streams` equal segments, each run from a zero state; every character but a segment's first is
predicted). Shares no code with src/models.

  python3 test/models/numpy_charrnn.py DIR TEXT STREAMS MAX_CHARS
"""
import json, os, sys
import numpy as np


def load(d):
    man = json.load(open(os.path.join(d, 'manifest.json')))
    vocab = json.load(open(os.path.join(d, 'vocab.json')))
    def get(name):
        e = man[name]
        return np.fromfile(os.path.join(d, e['filename']), dtype='<f4').reshape(e['shape'])
    cells = []
    i = 0
    while True:
        p = f'rnnlm/multi_rnn_cell/cell_{i}/basic_lstm_cell/'
        k = p + 'kernel' if p + 'kernel' in man else p + 'weights'
        b = p + 'bias' if p + 'bias' in man else p + 'biases'
        if k not in man:
            break
        cells.append((get(k), get(b)))
        i += 1
    return vocab, get('embedding'), cells, get('rnnlm/softmax_w'), get('rnnlm/softmax_b')


def sig(x):
    return 1 / (1 + np.exp(-x))


def main():
    d, path, B, maxc = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    vocab, emb, cells, sw, sb = load(d)
    text = open(path, encoding='utf8').read()
    ids = np.array([vocab[c] for c in text if c in vocab])
    n = min(len(ids), maxc)
    L = n // B
    seg = ids[:B * L].reshape(B, L)
    hs = [np.zeros((B, k.shape[1] // 4), np.float32) for k, _ in cells]
    cs = [np.zeros_like(h) for h in hs]
    nats = 0.0
    for t in range(L - 1):
        x = emb[seg[:, t]]
        for l, (k, b) in enumerate(cells):
            z = np.concatenate([x, hs[l]], 1) @ k + b
            i, j, f, o = np.split(z, 4, axis=1)
            cs[l] = cs[l] * sig(f + 1.0) + sig(i) * np.tanh(j)
            hs[l] = np.tanh(cs[l]) * sig(o)
            x = hs[l]
        logits = (x @ sw + sb).astype(np.float64)
        m = logits.max(1, keepdims=True)
        lse = m[:, 0] + np.log(np.exp(logits - m).sum(1))
        nats += float((lse - logits[np.arange(B), seg[:, t + 1]]).sum())
    chars = B * (L - 1)
    print(json.dumps({'bits_per_char': nats / chars / np.log(2), 'chars': chars}))


if __name__ == '__main__':
    main()
