// azmi for Node (ES module entry): the same objects as the CommonJS entry.
import { createRequire } from 'node:module'

const azmi = createRequire(import.meta.url)('./index.js')

export const {
  AccessToken,
  ArmClient,
  ArmFlow,
  ManagedIdentityCredential,
  MsiTokenCredentials,
  MsiTokenResponse,
  TokenCache,
  TokenFlow,
  VERSION,
  detect,
  loginWithAppServiceMSI,
  loginWithVmMSI,
  sources,
} = azmi
export default azmi
