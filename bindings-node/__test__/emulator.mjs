// Test support: one `azmi emulate` on loopback per test file, stopped by itself (--duration)
// and killed at the end; every test starts from an environment without identity variables, so
// nothing can reach the real IMDS (anything that falls through goes to a closed loopback port).
import { spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import http from 'node:http'

export const IDENTITY_VARS = [
  'AZURE_POD_IDENTITY_AUTHORITY_HOST', 'IDENTITY_ENDPOINT', 'IDENTITY_HEADER',
  'IDENTITY_SERVER_THUMBPRINT', 'IMDS_ENDPOINT', 'MSI_ENDPOINT', 'MSI_SECRET',
  'APPSETTING_WEBSITE_SITE_NAME', 'DEFAULT_IDENTITY_CLIENT_ID', 'AZMI_ARC_KEY_DIR',
  'AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_FEDERATED_TOKEN_FILE', 'AZURE_AUTHORITY_HOST',
  'IDENTITY_SECRET', 'HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy',
  // What `azmi emulate --print-env` adds for ARM: none may leak in from the shell.
  'AZMI_ARM_ENDPOINT', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'NODE_EXTRA_CA_CERTS', 'no_proxy',
]
export const ARM = 'https://management.azure.com/.default'
export const CLOSED_IMDS = 'http://127.0.0.1:9'

/** Clears every identity variable and points IMDS at a closed loopback port. */
export function cleanEnv() {
  for (const name of IDENTITY_VARS) delete process.env[name]
  process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = CLOSED_IMDS
  process.env.NO_PROXY = '*'
}
cleanEnv()

function binary() {
  const bin = process.env.AZMI_BIN ||
    join(process.env.CARGO_TARGET_DIR || join(homedir(), '.cache', 'azmi-target'), 'release', 'azmi')
  accessSync(bin, constants.X_OK)
  return bin
}

/** Starts the emulator; resolves once it printed its URL. */
export async function startEmulator(extraArgs = []) {
  const emu = new Emulator()
  await emu.start(extraArgs)
  return emu
}

export class Emulator {
  /** Runs `azmi emulate` on loopback; resolves once it printed its URL and answered its info. */
  async start(extraArgs = []) {
    const env = { ...process.env }
    for (const name of IDENTITY_VARS) delete env[name]
    const proc = spawn(binary(), ['emulate', '--legacy-port', '0', '--duration', '600', ...extraArgs], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    this.proc = proc
    const lines = createInterface({ input: proc.stdout })
    const url = await new Promise((resolve, reject) => {
      proc.once('exit', (code) => reject(new Error(`azmi emulate exited with ${code}`)))
      lines.on('line', (line) => {
        const m = line.match(/identity endpoints and ARM:\s*(\S+)/)
        if (m) resolve(m[1])
      })
    })
    if (!url.startsWith('http://127.0.0.1:')) throw new Error(`not loopback: ${url}`)
    this.url = url
    this.info = await this.call('GET', '/_emulator/info')
  }

  /** A control API call (loopback, no proxy). */
  call(method, path, body) {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body)
      const req = http.request(this.url + path, {
        method,
        headers: { 'content-type': 'application/json' },
        timeout: 10_000,
      }, (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (c) => { text += c })
        res.on('end', () => {
          if (res.statusCode >= 400) reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`))
          else resolve(text ? JSON.parse(text) : null)
        })
      })
      req.on('error', reject)
      req.on('timeout', () => req.destroy(new Error('control API timed out')))
      req.end(data)
    })
  }

  async requests(endpoint) {
    const log = await this.call('GET', '/_emulator/requests')
    return log.filter((r) => endpoint === undefined || r.endpoint === endpoint)
  }

  fault(endpoint, ...faults) {
    return this.call('POST', '/_emulator/faults', { endpoint, faults })
  }

  reset() {
    return this.call('POST', '/_emulator/reset')
  }

  async rotateIdentityHeader() {
    return (await this.call('POST', '/_emulator/rotate-identity-header')).identity_header
  }

  /** Sets the process environment for one source (after clearing every identity variable), with
   * the secrets as they are now (the identity header may have been rotated). */
  async use(source) {
    this.info = await this.call('GET', '/_emulator/info')
    cleanEnv()
    if (source !== 'imds') delete process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST
    for (const [k, v] of Object.entries(this.info.env[source])) process.env[k] = v
  }

  identity(kind) {
    const norm = (s) => String(s).toLowerCase().replace(/_/g, '')
    const found = this.info.identities.find((i) => norm(i.kind || '').startsWith(norm(kind)))
    if (!found) throw new Error(`no ${kind} identity`)
    return found
  }

  stop() {
    this.proc?.kill()
  }
}
