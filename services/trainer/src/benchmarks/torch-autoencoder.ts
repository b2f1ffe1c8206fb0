/**
 * The PyTorch baseline of the gpu bench: the same 784-256-32-256-784 autoencoder, Adam and MSE, on
 * rows already on the device, a shuffled order per epoch and the loss summed on the device (read
 * once at the end), the way a PyTorch user would write a tight loop. Prints one JSON line.
 * argv: rows, comma-separated batch sizes, seconds per batch size.
 */
export const TORCH_AUTOENCODER = String.raw`
import json, sys, time
import torch
rows, sizes, seconds = int(sys.argv[1]), [int(b) for b in sys.argv[2].split(',')], float(sys.argv[3])
cuda = torch.cuda.is_available()
device = torch.device('cuda' if cuda else 'cpu')
torch.manual_seed(7)
x_all = torch.rand(rows, 784, device=device)
def sync():
    if cuda: torch.cuda.synchronize()
out = {'torch': torch.__version__, 'device': torch.cuda.get_device_name(0) if cuda else 'cpu', 'threads': torch.get_num_threads(), 'sps': {}}
for batch in sizes:
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 32),
                                torch.nn.Linear(32, 256), torch.nn.ReLU(), torch.nn.Linear(256, 784), torch.nn.Sigmoid()).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    def run(steps):
        order = torch.randperm(rows, device=device)
        total = torch.zeros((), device=device)
        for s in range(steps):
            start = (s * batch) % (rows - batch + 1)
            xb = x_all[order[start:start + batch]]
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.mse_loss(model(xb), xb)
            loss.backward()
            opt.step()
            total += loss.detach()
        return total
    run(20); sync()
    t = time.perf_counter(); run(20); sync(); per_step = (time.perf_counter() - t) / 20
    steps = max(20, int(seconds / per_step))
    t = time.perf_counter(); total = run(steps); sync(); dt = time.perf_counter() - t
    out['sps'][str(batch)] = batch * steps / dt
    out.setdefault('loss', {})[str(batch)] = float(total) / steps
print(json.dumps(out))
`;
