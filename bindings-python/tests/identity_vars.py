"""The environment variables that choose or reach a managed identity endpoint (and the proxies a
request could take). The tests and the benchmark clear them all, so nothing can reach a real
endpoint; one list for both (this module needs no pytest, so the benchmark can import it)."""

IDENTITY_VARS = [
    "AZURE_POD_IDENTITY_AUTHORITY_HOST", "IDENTITY_ENDPOINT", "IDENTITY_HEADER",
    "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT", "MSI_ENDPOINT", "MSI_SECRET",
    "APPSETTING_WEBSITE_SITE_NAME", "DEFAULT_IDENTITY_CLIENT_ID", "AZMI_ARC_KEY_DIR",
    "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST",
    "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy",
    # What `azmi emulate --print-env` adds for ARM: none may leak in from the shell.
    "AZMI_ARM_ENDPOINT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS",
]
