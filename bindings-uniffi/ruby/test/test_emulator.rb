# frozen_string_literal: true

# The Ruby surface end to end against `azmi emulate`: tokens from IMDS and App Service, ARM
# subscriptions and resource groups (with progress), a plain Net::HTTP call with the token,
# 50 threads on a cold cache, and every failure as its exception class with no token in sight.

require_relative 'helper'
require 'openssl'

class TestTokens < EmulatorTest
  %w[imds app_service].each do |source|
    define_method("test_token_from_#{source}") do
      cred = credential(source)
      assert_equal source, cred.source
      token = cred.get_token(ARM_SCOPE)
      assert_equal 'Bearer', token.token_type
      assert_equal source, token.source
      assert_operator token.token.count('.'), :==, 2, 'a JWT'
      assert_operator token.expires_on, :>, Time.now
      assert_operator token.refresh_on_ms, :<, token.expires_on_ms
      assert_equal 1, @emu.requests(source).size
      # Cached: the same token, no second request.
      assert_equal token.token, cred.get_token(ARM_SCOPE).token
      assert_equal 1, @emu.requests(source).size
      refute_includes token.inspect, token.token
      refute_includes token.to_s, token.token
      refute_includes cred.inspect, token.token
    end
  end

  FIELDS = %i[token token_type expires_on_ms refresh_on_ms resource source].freeze

  # The first token comes from the fetch, the next ones through Azmi::Fast: the same fields,
  # whatever the size of the thread's buffer.
  def test_a_cached_token_has_the_fetched_tokens_fields
    cred = credential('imds')
    fetched = cred.get_token(ARM_SCOPE)
    want = FIELDS.map { |f| fetched.public_send(f) }
    assert_equal 'https://management.azure.com', fetched.resource
    assert_equal want, FIELDS.map { |f| cred.get_token(ARM_SCOPE).public_send(f) }
    Thread.current[:azmi_fast_buffer] = FFI::MemoryPointer.new(:uint8, Azmi::Fast::HEADER)
    assert_equal want, FIELDS.map { |f| cred.get_token(ARM_SCOPE).public_send(f) }
    assert_operator Thread.current[:azmi_fast_buffer].size, :>, fetched.token.bytesize, 'grown'
    assert_equal want, Thread.new { FIELDS.map { |f| cred.get_token(ARM_SCOPE).public_send(f) } }.value
    assert_equal Encoding::UTF_8, cred.get_token(ARM_SCOPE).token.encoding
    assert_equal 1, @emu.requests('imds').size
  end

  def test_user_assigned_identity_by_client_id
    uami = @emu.identity('user_assigned')
    cred = credential(client_id: uami['client_id'])
    assert_equal 'client_id', cred.selector
    cred.get_token(ARM_SCOPE)
    assert_includes @emu.requests('imds').last.to_s, uami['client_id']
  end

  def test_fifty_threads_on_a_cold_cache_share_one_request
    cred = credential
    barrier = Queue.new
    threads = Array.new(50) do
      Thread.new do
        barrier.pop
        cred.get_token(ARM_SCOPE).token
      end
    end
    50.times { barrier << :go }
    tokens = threads.map(&:value)
    assert_equal 1, tokens.uniq.size
    assert_equal 1, @emu.requests('imds').size
  end

  def test_claims_bypass_the_cache
    cred = credential
    cred.get_token(ARM_SCOPE)
    cred.get_token(ARM_SCOPE, claims: '{"access_token":{"nbf":{"essential":true}}}')
    assert_equal 2, @emu.requests('imds').size
  end

  def test_close
    cred = credential
    cred.close
    assert_raises(IOError) { cred.get_token(ARM_SCOPE) }
    assert_includes cred.inspect, 'closed'
  end
end

class TestArm < EmulatorTest
  def test_subscriptions_and_resource_groups_with_progress
    cred = credential
    arm = Azmi::ArmClient.new(cred)
    assert_equal @emu.info['arm_env']['AZMI_ARM_ENDPOINT'], arm.endpoint.chomp('/')
    subs = arm.list_subscriptions
    refute_empty subs
    sub = subs.first['subscriptionId']
    group = arm.create_resource_group(sub, 'azmi-rb-e2e', 'westeurope', tags: { 'by' => 'ruby' })
    assert_equal 'azmi-rb-e2e', group['name']
    assert_equal({ 'by' => 'ruby' }, group['tags'])
    assert_includes arm.list_resource_groups(sub).map { |g| g['name'] }, 'azmi-rb-e2e'
    heard = []
    assert_nil(arm.delete_resource_group(sub, 'azmi-rb-e2e') { |p| heard << p })
    refute_empty heard, 'the delete is long-running in the emulator: progress is heard'
    assert_equal (0...heard.size).to_a, heard.map(&:polls)
    refute_includes arm.list_resource_groups(sub).map { |g| g['name'] }, 'azmi-rb-e2e'
  end

  def test_a_progress_block_that_raises_stops_the_operation
    arm = Azmi::ArmClient.new(credential)
    sub = arm.list_subscriptions.first['subscriptionId']
    arm.create_resource_group(sub, 'azmi-rb-stop', 'westeurope')
    stop = Class.new(StandardError)
    assert_raises(stop) { arm.delete_resource_group(sub, 'azmi-rb-stop') { raise stop } }
  end

  def test_generic_request_and_run
    arm = Azmi::ArmClient.new(credential)
    sub = arm.list_subscriptions.first['subscriptionId']
    groups = arm.request('GET', "/subscriptions/#{sub}/resourcegroups", api_version: '2021-04-01',
                                                                          paged: true)
    assert_kind_of Array, groups
    listed = arm.run({ op: 'list_resource_groups', subscription_id: sub })
    assert_equal groups, listed
    full = arm.run({ op: 'list_resource_groups', subscription_id: sub }, full: true)
    assert_equal groups, full['items']
  end

  def test_plain_net_http_to_the_emulators_arm_with_the_token
    token = credential.get_token(ARM_SCOPE)
    arm = URI(@emu.info['arm_env']['AZMI_ARM_ENDPOINT'])
    http = Net::HTTP.new(arm.host, arm.port, nil)
    http.use_ssl = true
    http.ca_file = @emu.info['ca_file']
    http.verify_mode = OpenSSL::SSL::VERIFY_PEER
    req = Net::HTTP::Get.new('/subscriptions?api-version=2022-12-01')
    req['Authorization'] = "Bearer #{token.token}"
    res = http.request(req)
    assert_equal '200', res.code
    refute_empty JSON.parse(res.body)['value']
    req['Authorization'] = 'Bearer not-a-token'
    assert_equal '401', http.request(req).code
  end

  def test_arm_client_options_are_the_cores
    error = assert_raises(Azmi::ConfigurationError) { Azmi::ArmClient.new(credential, client_id: 'x') }
    assert_equal 'config', error.code
    assert_includes error.message, 'client_id'
  end
end

class TestThreads < EmulatorTest
  # A fetch releases the GVL: another Ruby thread runs while it waits on the endpoint.
  def test_a_fetch_does_not_stop_other_threads
    cred = credential
    @emu.fault('imds', { kind: 'latency', ms: 600 })
    fetch = Thread.new { cred.get_token(ARM_SCOPE) }
    started = Time.now
    sleep 0.1 # the fetch thread starts and waits on the endpoint meanwhile
    woke = Time.now - started
    assert fetch.alive?, 'the fetch is still waiting on the endpoint'
    assert_operator woke, :<, 0.4, 'the sleeping thread woke while the fetch waited'
    assert_equal 'Bearer', fetch.value.token_type
  end
end
