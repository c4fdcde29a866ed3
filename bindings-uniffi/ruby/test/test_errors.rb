# frozen_string_literal: true

# Each stable code surfaces as its exception class, with the facts the core has, and no
# message, inspect or field shows a token.

require_relative 'helper'

class TestErrors < EmulatorTest
  def fast(source = 'imds', **options)
    credential(source, max_retries: 0, deadline_ms: 5000, **options)
  end

  def test_unknown_and_conflicting_options
    e = assert_raises(Azmi::ConfigurationError) { Azmi::ManagedIdentityCredential.new(clientid: 'x') }
    assert_equal 'config', e.code
    assert_includes e.message, 'clientid'
    e = assert_raises(Azmi::ConfigurationError) do
      Azmi::ManagedIdentityCredential.new(client_id: 'a', object_id: 'b')
    end
    assert_includes e.message, 'client_id'
    e = assert_raises(Azmi::ConfigurationError) { Azmi::ManagedIdentityCredential.new(max_retries: 'x') }
    assert_includes e.message, 'max_retries'
  end

  def arm_body(code, message) = JSON.generate({ error: { code: code, message: message } })

  # code → [class, source, faults to queue]
  CODES = {
    'identity_not_found' => [Azmi::IdentityNotFoundError, 'imds', ['identity_not_found']],
    'throttled' => [Azmi::ThrottledError, 'imds', [{ kind: 'throttle', retry_after_secs: 0 }] * 6],
    'endpoint_error' => [Azmi::EndpointError, 'imds', [{ kind: 'status', status: 503 }] * 6],
    'bad_request' => [Azmi::BadRequestError, 'imds',
                      [{ kind: 'status', status: 400,
                         body: '{"error":"invalid_resource","error_description":"bad"}' }]],
    'invalid_response' => [Azmi::InvalidResponseError, 'app_service', ['malformed']]
  }.freeze

  CODES.each do |code, (klass, source, faults)|
    define_method("test_#{code}_raises_#{klass.name.split('::').last}") do
      @emu.fault(source, *faults)
      e = assert_raises(klass) { fast(source).get_token(ARM_SCOPE) }
      assert_kind_of Azmi::Error, e
      assert_equal code, e.code
      assert_equal source, e.source
      assert_equal 'token', e.family
      refute_empty e.attempts
    end
  end

  def test_unavailable_when_nothing_listens
    env = { 'AZURE_POD_IDENTITY_AUTHORITY_HOST' => 'http://127.0.0.1:9' }
    cred = Azmi::ManagedIdentityCredential.new(env: env, max_retries: 0, deadline_ms: 5000)
    e = assert_raises(Azmi::CredentialUnavailableError) { cred.get_token(ARM_SCOPE) }
    assert_equal 'unavailable', e.code
    assert_equal 'imds', e.source
  end

  def test_deadline_exceeded
    @emu.fault('imds', *([{ kind: 'hang', ms: 5000 }] * 5))
    started = Time.now
    e = assert_raises(Azmi::DeadlineExceededError) { credential(deadline_ms: 1500).get_token(ARM_SCOPE) }
    assert_operator Time.now - started, :<, 4
    assert_equal 'deadline_exceeded', e.code
  end

  def test_arm_not_found_and_conflict_carry_arms_facts
    arm = Azmi::ArmClient.new(credential)
    sub = arm.list_subscriptions.first['subscriptionId']
    e = assert_raises(Azmi::ArmNotFoundError) do
      arm.request('GET', "/subscriptions/#{sub}/resourceGroups/azmi-absent", api_version: '2021-04-01')
    end
    assert_equal 404, e.status_code
    assert_equal 'not_found', e.arm_kind
    assert_equal 'ResourceGroupNotFound', e.error_code
    assert_kind_of Azmi::ArmError, e
    @emu.fault('arm', { kind: 'status', status: 409, body: arm_body('Conflict', 'busy') })
    e = assert_raises(Azmi::ArmConflictError) { arm.list_subscriptions }
    assert_equal ['conflict', 409, 'Conflict'], [e.arm_kind, e.status_code, e.error_code]
    @emu.fault('arm', { kind: 'status', status: 403, body: arm_body('AuthorizationFailed', 'no') })
    e = assert_raises(Azmi::ArmAuthenticationError) { arm.list_subscriptions }
    assert_equal 403, e.status_code
    assert_equal 'AuthorizationFailed', e.error_code
  end

  def test_no_token_in_any_error_or_inspect
    cred = credential
    token = cred.get_token(ARM_SCOPE).token
    arm = Azmi::ArmClient.new(cred)
    sub = arm.list_subscriptions.first['subscriptionId']
    errors = []
    begin
      arm.request('GET', "/subscriptions/#{sub}/resourceGroups/azmi-absent", api_version: '2021-04-01')
    rescue Azmi::Error => e
      errors << e
    end
    @emu.fault('arm', { kind: 'status', status: 401 }, { kind: 'status', status: 401 })
    begin
      arm.list_subscriptions
    rescue Azmi::Error => e
      errors << e
    end
    assert_equal 2, errors.size
    errors.each do |e|
      [e.message, e.inspect, e.full_message, e.attempts.to_s, e.details.to_s].each do |text|
        refute_includes text, token
      end
    end
    [cred.inspect, arm.inspect, cred.get_token(ARM_SCOPE).inspect].each { |t| refute_includes t, token }
  end
end
