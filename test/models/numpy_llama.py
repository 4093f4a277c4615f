"""Independent numpy reference for the Llama tests (test/models/*.test.ts).

A straight transcription of Hugging Face LlamaForCausalLM (eager attention) in numpy float32 with the
bf16 weights widened to f32, reading the sharded safetensors by hand. It produces the constants the
TypeScript tests compare against; it shares no code with src/models.

  python3 test/models/numpy_llama.py logits            # check against reference.json
  python3 test/models/numpy_llama.py ppl START COUNT   # nats/byte over windows [START, START+COUNT)
  python3 test/models/numpy_llama.py ppl-all           # the full protocol (slow: minutes)
"""
import json, os, struct, sys
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DIR = os.path.join(HERE, '..', 'fixtures', 'tiny-llama-bytes')


def load_weights(d):
    idx = json.load(open(os.path.join(d, 'model.safetensors.index.json')))
    out = {}
    for shard in sorted(set(idx['weight_map'].values())):
        buf = open(os.path.join(d, shard), 'rb').read()
        (n,) = struct.unpack('<Q', buf[:8])
        hdr = json.loads(buf[8:8 + n])
        base = 8 + n
        for name, info in hdr.items():
            if name == '__metadata__':
                continue
            a, b = info['data_offsets']
            raw = buf[base + a: base + b]
            assert info['dtype'] == 'BF16', info['dtype']
            bits = np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16
            out[name] = bits.view(np.float32).reshape(info['shape'])
    return out


class Llama:
    def __init__(self, d=DIR):
        self.cfg = json.load(open(os.path.join(d, 'config.json')))
        self.w = load_weights(d)

    def forward(self, ids):
        c, w = self.cfg, self.w
        T = len(ids)
        H, nh, nkv = c['hidden_size'], c['num_attention_heads'], c['num_key_value_heads']
        hd = c.get('head_dim') or H // nh
        eps = c['rms_norm_eps']
        theta = (c.get('rope_parameters') or {}).get('rope_theta', c.get('rope_theta', 10000.0))
        inv = 1.0 / (theta ** (np.arange(0, hd, 2, dtype=np.int64).astype(np.float32) / hd))
        ang = np.arange(T, dtype=np.float32)[:, None] * inv[None, :]
        emb = np.concatenate([ang, ang], axis=-1)
        cos, sin = np.cos(emb).astype(np.float32), np.sin(emb).astype(np.float32)

        def rms(x, g):
            v = np.mean(x * x, axis=-1, keepdims=True)
            return (x / np.sqrt(v + eps)).astype(np.float32) * g

        def rot(x):
            h = x.shape[-1] // 2
            return np.concatenate([-x[..., h:], x[..., :h]], axis=-1)

        x = w['model.embed_tokens.weight'][np.asarray(ids)]
        mask = np.triu(np.full((T, T), -np.inf, dtype=np.float32), 1)
        for l in range(c['num_hidden_layers']):
            p = f'model.layers.{l}.'
            n = rms(x, w[p + 'input_layernorm.weight'])
            q = (n @ w[p + 'self_attn.q_proj.weight'].T).reshape(T, nh, hd).transpose(1, 0, 2)
            k = (n @ w[p + 'self_attn.k_proj.weight'].T).reshape(T, nkv, hd).transpose(1, 0, 2)
            v = (n @ w[p + 'self_attn.v_proj.weight'].T).reshape(T, nkv, hd).transpose(1, 0, 2)
            q = q * cos + rot(q) * sin
            k = k * cos + rot(k) * sin
            rep = nh // nkv
            k = np.repeat(k, rep, axis=0)
            v = np.repeat(v, rep, axis=0)
            s = q @ k.transpose(0, 2, 1) / np.float32(np.sqrt(hd)) + mask
            s = s - s.max(-1, keepdims=True)
            e = np.exp(s)
            a = (e / e.sum(-1, keepdims=True)) @ v
            x = x + a.transpose(1, 0, 2).reshape(T, nh * hd) @ w[p + 'self_attn.o_proj.weight'].T
            n = rms(x, w[p + 'post_attention_layernorm.weight'])
            g = n @ w[p + 'mlp.gate_proj.weight'].T
            u = n @ w[p + 'mlp.up_proj.weight'].T
            x = x + ((g / (1 + np.exp(-g))) * u) @ w[p + 'mlp.down_proj.weight'].T
        x = rms(x, w['model.norm.weight'])
        head = w.get('lm_head.weight', w['model.embed_tokens.weight'])
        return x @ head.T


def window_nll(model, ids):
    """Sum of -log p(ids[t+1] | ids[:t+1]) and the number of predictions."""
    z = model.forward(ids).astype(np.float64)
    z = z[:-1]
    m = z.max(-1, keepdims=True)
    lse = (m[:, 0] + np.log(np.exp(z - m).sum(-1)))
    tgt = np.asarray(ids[1:])
    return float((lse - z[np.arange(len(tgt)), tgt]).sum()), len(tgt)


def main():
    model = Llama()
    data = open(os.path.join(DIR, 'test.txt'), 'rb').read()
    cmd = sys.argv[1]
    if cmd == 'logits':
        ref = json.load(open(os.path.join(DIR, 'reference.json')))
        z = model.forward(ref['input_ids'])
        print('max |logits[:, :8] - ref|', np.abs(z[:, :8] - np.array(ref['logits_first8'])).max())
        print('argmax equal', (z.argmax(-1) == np.array(ref['argmax'])).all())
        return
    ctx = 512
    if cmd == 'ppl':
        start, count = int(sys.argv[2]), int(sys.argv[3])
        wins = range(start, start + count)
    else:
        wins = range((len(data) + ctx - 1) // ctx)
    tot, n = 0.0, 0
    for i in wins:
        ids = list(data[i * ctx:(i + 1) * ctx])
        if len(ids) < 2:
            continue
        s, c = window_nll(model, ids)
        tot += s
        n += c
    print(json.dumps({'windows': [wins.start, wins.stop], 'nats': tot / n, 'tokens': n, 'sum': tot}))


if __name__ == '__main__':
    main()
