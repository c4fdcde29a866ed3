# frozen_string_literal: true

# One `azmi emulate` on loopback for the whole run (AZMI_BIN), and a small client of its control
# API. Every identity variable is cleared first, so nothing can reach a real endpoint.

require 'minitest/autorun'
require 'json'
require 'net/http'
require 'azmi'

IDENTITY_VARS = %w[
  AZURE_POD_IDENTITY_AUTHORITY_HOST IDENTITY_ENDPOINT IDENTITY_HEADER IDENTITY_SERVER_THUMBPRINT
  IMDS_ENDPOINT MSI_ENDPOINT MSI_SECRET APPSETTING_WEBSITE_SITE_NAME DEFAULT_IDENTITY_CLIENT_ID
  AZMI_ARC_KEY_DIR AZURE_CLIENT_ID AZURE_TENANT_ID AZURE_FEDERATED_TOKEN_FILE AZURE_AUTHORITY_HOST
  HTTP_PROXY HTTPS_PROXY http_proxy https_proxy AZMI_ARM_ENDPOINT SSL_CERT_FILE
  REQUESTS_CA_BUNDLE NODE_EXTRA_CA_CERTS
].freeze
IDENTITY_VARS.each { |name| ENV.delete(name) }

ARM_SCOPE = 'https://management.azure.com/.default'

# The emulator process and its control API.
class Emulator
  attr_reader :url, :info

  def self.instance
    @instance ||= new
  end

  def initialize
    bin = ENV.fetch('AZMI_BIN') { File.expand_path('~/.cache/azmi-target/release/azmi') }
    raise "AZMI_BIN must point at the azmi binary, not #{bin}" unless File.executable?(bin)

    @io = IO.popen([bin, 'emulate', '--duration', '600'], 'r')
    line = @io.each_line.find { |l| l.include?('identity endpoints and ARM:') }
    raise 'azmi emulate did not print its URL' unless line

    @url = URI(line.split(':', 2)[1].strip)
    @info = call(:get, '/_emulator/info')
    # The transport reads the CA bundle (SSL_CERT_FILE) and proxies from the process: the
    # emulator's ARM variables go there, the identity ones are passed to each credential.
    @info['arm_env'].each { |k, v| ENV[k] = v }
    Minitest.after_run { stop }
  end

  def stop
    Process.kill('TERM', @io.pid)
    Process.wait(@io.pid)
  rescue Errno::ESRCH, Errno::ECHILD
    nil
  end

  def call(method, path, body = nil)
    http = Net::HTTP.new(@url.host, @url.port, nil)
    req = (method == :get ? Net::HTTP::Get : Net::HTTP::Post).new(path)
    req['Content-Type'] = 'application/json'
    req.body = JSON.generate(body) if body
    res = http.request(req)
    res.body.nil? || res.body.empty? ? nil : JSON.parse(res.body)
  end

  def requests(endpoint = nil)
    call(:get, '/_emulator/requests').select { |r| endpoint.nil? || r['endpoint'] == endpoint }
  end

  def fault(endpoint, *faults) = call(:post, '/_emulator/faults', { endpoint: endpoint, faults: faults })
  def reset = call(:post, '/_emulator/reset')

  # The variables pointing a client at `source` and at the emulator's ARM.
  def env(source) = @info['env'].fetch(source).merge('AZMI_ARM_ENDPOINT' => @info['arm_env']['AZMI_ARM_ENDPOINT'])

  def identity(kind) = @info['identities'].find { |i| i['kind'] == kind }
end

# A test with the emulator reset before it.
class EmulatorTest < Minitest::Test
  def setup
    @emu = Emulator.instance
    @emu.reset
  end

  def credential(source = 'imds', **options)
    Azmi::ManagedIdentityCredential.new(env: @emu.env(source), **options)
  end
end
