// Test support: a loopback HTTP server on a raw socket that answers each request by its number
// (silence, a status, a token), counts requests and can let go of everything it holds. Every
// socket it keeps is destroyed after 20 s at the latest.
import net from 'node:net'

/** An HTTP/1.1 response with a JSON body. */
export function response(status, body = {}, headers = {}) {
  const text = JSON.stringify(body)
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')
  return `HTTP/1.1 ${status} Status\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n${extra}\r\n${text}`
}

/** A token answer IMDS could give, living `seconds`. */
export function tokenResponse(seconds = 3600) {
  return response(200, {
    access_token: 'raw-server-token',
    expires_in: String(seconds),
    token_type: 'Bearer',
    resource: 'https://management.azure.com/',
  })
}

/** Starts a server on 127.0.0.1; `answer(n)` gives the n-th request's response (from 1), or
 * null to stay silent. `url`, `requests` (the count so far), `answer` (may be replaced),
 * `drop()` (destroys every connection, still listening) and `close()`. */
export async function rawServer(answer) {
  const sockets = new Set()
  const state = { requests: 0, answer }
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    socket.setTimeout(20_000, () => socket.destroy())
    let buffered = ''
    socket.on('data', (chunk) => {
      buffered += chunk
      // Identity requests are GETs without a body: a blank line ends each one.
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        buffered = buffered.slice(end + 4)
        state.requests += 1
        const text = state.answer(state.requests)
        if (text) socket.write(text)
      }
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    get requests() {
      return state.requests
    },
    set answer(f) {
      state.answer = f
    },
    drop() {
      for (const s of sockets) s.destroy()
    },
    close() {
      for (const s of sockets) s.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
