// A TCP port on 127.0.0.1 that nothing listens on now, for a server a node test starts
// (test/browser/chat.test.mjs, test/docs/validate.mjs).
import net from 'node:net';

export async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}
