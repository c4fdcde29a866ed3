# frozen_string_literal: true

# Every shared vector in tests/vectors/ (schema: its README) through azmi's Ruby sans-IO API
# (Azmi::Sansio, over the uniffi library): the cases the Rust core runs, checked from Ruby.

require 'minitest/autorun'
require 'json'
require 'uri'
require 'azmi'

VECTORS = File.expand_path('../../../tests/vectors', __dir__)
DEFAULT_START = 1_700_000_000_000

class Mismatch < StandardError; end

# The runner: one method per kind of vector, as bindings-python/tests/test_vectors.py.
module VectorRunner
  module_function

  def expect(what, want, got)
    raise Mismatch, "#{what}: expected #{want.inspect}, got #{got.inspect}" unless want == got
  end

  def run(c)
    { 'flow' => :run_flow, 'detect' => :run_detect, 'cache' => :run_cache,
      'arm' => :run_arm }.fetch(c['kind']).then { |m| send(m, c) }
  end

  def steps(list)
    list.each_with_index do |step, i|
      yield step
    rescue Mismatch => e
      raise Mismatch, "step #{i}: #{e.message}"
    end
  end

  # --- token flows ---

  def run_flow(c)
    now = c.fetch('start_ms', DEFAULT_START)
    arc = c['arc_agent_installed'] ? true : false
    begin
      flow = Azmi::Sansio::TokenFlow.new(c.fetch('config', {}), c.fetch('env', {}), now,
                                         arc_agent_installed: arc)
    rescue Azmi::Error => e
      return check_error(c['outcome'], e.code, e.message, nil)
    end
    steps(c.fetch('steps', [])) { |step| now = flow_step(flow, step, now, arc) }
    action = flow.poll(now)
    raise Mismatch, "after the last step expected done, got #{action.keys}" unless action['done']

    check_token_outcome(c['outcome'], action['done'])
  end

  def flow_step(flow, step, now, arc)
    if step.key?('env')
      flow.handle_env(step['env'], arc_agent_installed: arc)
      return now
    end
    return now + step['advance_ms'] if step.key?('advance_ms')

    action = flow.poll(now)
    return answer(flow, step, action, now) if step.key?('send')
    return take_wait(step, action, now) if step.key?('wait_ms')
    raise Mismatch, "unknown step #{step}" unless step.key?('read_file')

    read = action['read_file'] or raise Mismatch, "expected read_file, got #{action.keys}"
    expect('read_file.path', step['read_file']['path'], read['path'])
    if step['read_file'].key?('max_bytes')
      expect('read_file.max_bytes', step['read_file']['max_bytes'], read['max_bytes'])
    end
    if step.key?('file')
      flow.handle_file(read['id'], now, contents: step['file'])
    else
      flow.handle_file(read['id'], now, error: step['file_error'])
    end
    now
  end

  def answer(flow, step, action, now)
    send = action['send'] or raise Mismatch, "expected send, got #{action}"
    check_send(step['send'], send)
    now += step.fetch('elapsed_ms', 0)
    if step.key?('response')
      flow.handle_response(send['id'], step['response'], now)
    else
      flow.handle_transport_error(send['id'], step['transport_error'], now)
    end
    now
  end

  def take_wait(step, action, now)
    until_ms = action['wait_until_ms'] or raise Mismatch, "expected wait_until_ms, got #{action.keys}"
    lo, hi = step['wait_ms'].is_a?(Array) ? step['wait_ms'] : [step['wait_ms']] * 2
    unless (lo..hi).cover?(until_ms - now)
      raise Mismatch, "expected a wait of #{lo}..=#{hi} ms, got #{until_ms - now} ms"
    end

    until_ms
  end

  def query(text) = URI.decode_www_form(text || '').to_h

  def check_send(want, got)
    url = URI.parse(got['url'])
    expect('method', want['method'], got['method']) if want.key?('method')
    if want.key?('url')
      port = url.port == url.default_port ? '' : ":#{url.port}"
      expect('url', want['url'], "#{url.scheme}://#{url.host}#{port}#{url.path}")
    end
    expect('query', strings(want['query']), query(url.query)) if want.key?('query')
    if want.key?('form')
      expect('form', strings(want['form']), query(got['body']))
    elsif want.key?('json')
      expect('json body', want['json'], JSON.parse(got['body']))
    elsif got['body'] && !got['body'].empty? && want.key?('method')
      raise Mismatch, "unexpected body #{got['body'].inspect}"
    end
    headers = got['headers'].transform_keys(&:downcase)
    want.fetch('headers', {}).each { |n, v| expect("header #{n}", v, headers[n.downcase]) }
    want.fetch('absent_headers', []).each do |n|
      raise Mismatch, "header #{n} must be absent" if headers.key?(n.downcase)
    end
    expect('timeout_ms', want['timeout_ms'], got['timeout_ms']) if want.key?('timeout_ms')
    expect('tls_pin', want['tls_pin'], got['tls_pin']) if want.key?('tls_pin')
  end

  def strings(mapping) = mapping.transform_values { |v| v.is_a?(String) ? v : JSON.generate(v) }

  def check_token_outcome(want, done)
    if done.key?('error')
      e = done['error']
      return check_error(want, e['code'], e['message'], e['attempts'].size)
    end
    token = done['token']
    raise Mismatch, "expected #{want}, got a token" unless want.key?('token')

    %w[access_token token_type expires_on_ms refresh_on_ms resource].each do |f|
      expect(f, want['token'][f], token[f]) if want['token'].key?(f)
    end
  end

  def check_error(want, code, message, attempts)
    raise Mismatch, "expected #{want}, got error #{code}: #{message}" unless want.key?('error')

    want = want['error']
    expect('error code', want['code'], code)
    expect('attempts', want['attempts'], attempts) if want.key?('attempts') && attempts
    want.fetch('message_contains', []).each do |s|
      raise Mismatch, "message #{message.inspect} lacks #{s.inspect}" unless message.include?(s)
    end
    want.fetch('message_excludes', []).each do |s|
      raise Mismatch, "message #{message.inspect} contains #{s.inspect}" if message.include?(s)
    end
  end

  # --- detection ---

  def run_detect(c)
    arc = c['arc_agent_installed'] ? true : false
    config = c.fetch('config', {})
    env = c.fetch('env', {})
    want = c['outcome']
    if want.key?('error')
      # A detection that cannot resolve is a config error when the flow is built.
      config = config.merge('resource' => 'https://management.azure.com/')
      begin
        Azmi::Sansio::TokenFlow.new(config, env, DEFAULT_START, arc_agent_installed: arc)
      rescue Azmi::Error => e
        return check_error(want, e.code, e.message, nil)
      end
      raise Mismatch, 'expected an error building the flow'
    end
    got = Azmi::Sansio.detect(config, env, arc_agent_installed: arc)
    expect('source', want['source'], got['source'])
    expect('decided_by', want['decided_by'].sort, got['decided_by'].sort) if want.key?('decided_by')
    expect('forced', want['forced'], got['forced']) if want.key?('forced')
  end

  # --- the cache ---

  def run_cache(c)
    start = c.fetch('start_ms', DEFAULT_START)
    cache = Azmi::Sansio::TokenCache.new
    tickets = {}
    waiters = {}
    c['ops'].each_with_index do |op, i|
      cache_op(cache, c['keys'], op, start + op.fetch('at_ms', 0), start, tickets, waiters)
    rescue Mismatch => e
      raise Mismatch, "op #{i}: #{e.message}"
    end
  end

  def cache_op(cache, keys, op, now, start, tickets, waiters)
    if op.key?('lookup')
      got = cache.lookup(keys[op['lookup']], now)
      want = op['expect']
      kind = %w[fresh stale fetch wait].find { |k| got.key?(k) }
      kind = 'stale_refresh' unless got['ticket'].nil?
      expect('lookup', want, kind)
      if %w[fresh stale stale_refresh].include?(want)
        token = got['fresh'] || got['stale']
        expect('access_token', op['access_token'], token['access_token'])
      end
      tickets[op['ticket']] = got['fetch'] || got['ticket'] if %w[fetch stale_refresh].include?(want)
      waiters[op['waiter']] = got['wait'] if want == 'wait'
    elsif op.key?('complete')
      result = if op.key?('token')
                 token = op['token'].dup
                 token['expires_on_ms'] += start
                 token['refresh_on_ms'] += start if token.key?('refresh_on_ms')
                 { 'token' => token }
               else
                 { 'error' => op['error'] }
               end
      cache.complete(tickets.delete(op['complete']), result, now)
    elsif op.key?('poll_wait')
      got = cache.poll_wait(waiters[op['poll_wait']], now)
      kind = got.keys.first
      expect('poll_wait', op['expect'], kind)
      expect('access_token', op['access_token'], got['token']['access_token']) if kind == 'token'
      expect('code', op['code'], got['error']['code']) if kind == 'error'
    else
      raise Mismatch, "unknown op #{op}"
    end
  end

  # --- ARM ---

  def run_arm(c)
    config = c.fetch('config', {})
    cloud = c['cloud']
    want = c['outcome']
    now = c.fetch('start_ms', DEFAULT_START)
    begin
      flow = if c.key?('resume')
               Azmi::Sansio::ArmFlow.resume(c['resume'], now, config: config, cloud: cloud)
             else
               Azmi::Sansio::ArmFlow.new(c['operation'], now, config: config, cloud: cloud)
             end
    rescue Azmi::Error => e
      return check_error(want, e.code, e.message, nil)
    end
    steps(c.fetch('steps', [])) { |step| now, flow = arm_step(flow, step, now, config, cloud) }
    action = flow.poll(now)
    raise Mismatch, "after the last step expected done, got #{action.keys}" unless action['done']

    check_arm_outcome(want, action['done'])
  end

  def arm_step(flow, step, now, config, cloud)
    return [now + step['advance_ms'], flow] if step.key?('advance_ms')

    if step.key?('continuation')
      token = flow.continuation_token or raise Mismatch, 'no continuation token'
      return [now, Azmi::Sansio::ArmFlow.resume(token, now, config: config, cloud: cloud)]
    end
    action = flow.poll(now)
    if step.key?('token')
      need = action['need_token'] or raise Mismatch, "expected need_token, got #{action.keys}"
      expect('token resource', step['token']['resource'], need['resource'])
      expect('token refresh', step['token'].fetch('refresh', false), need['refresh'])
      if step.key?('give')
        token = { 'access_token' => step['give'], 'expires_on_ms' => now + 3_600_000,
                  'refresh_on_ms' => now + 3_300_000 }
        flow.handle_token({ 'token' => token }, now)
      else
        flow.handle_token({ 'error' => step['give_error'] }, now)
      end
      return [now, flow]
    end
    return [answer(flow, step, action, now), flow] if step.key?('send')
    return [take_wait(step, action, now), flow] if step.key?('wait_ms')

    raise Mismatch, "unknown step #{step}"
  end

  def check_arm_outcome(want, done)
    return check_arm_error(want, done['error']) if done.key?('error')

    if done.key?('response')
      r = done['response']
      raise Mismatch, "expected #{want}, got a response #{r['status']}" unless want.key?('response')

      expect('status', want['response']['status'], r['status']) if want['response'].key?('status')
      expect('body', want['response']['body'], r['body']) if want['response'].key?('body')
      return check_extras(want, r)
    end
    if done.key?('items')
      expect('items', want['items'], done['items'])
      return check_extras(want, done['last'])
    end
    if done.key?('exists')
      expect('exists', want['exists'], done['exists'])
      return check_extras(want, done['last'])
    end
    expect('cloud', want['cloud'], done['cloud'])
  end

  def check_extras(want, last)
    want.fetch('rate_limits', {}).each do |n, v|
      expect("rate limit #{n}", v, last['rate_limits'][n])
    end
    expect('request_id', want['request_id'], last['request_id']) if want.key?('request_id')
  end

  def check_arm_error(want, e)
    check_error(want, e['code'], e['message'], nil)
    want = want['error']
    %w[status arm_code target details_count request_id correlation_id].each do |f|
      expect(f, want[f], e[f]) if want.key?(f)
    end
  end
end

class TestVectors < Minitest::Test
  FILES = Dir[File.join(VECTORS, '*.json')].sort

  def test_there_are_vectors
    assert_operator FILES.size, :>=, 300, "only #{FILES.size} vectors in #{VECTORS}"
  end

  FILES.each do |path|
    define_method("test_vector_#{File.basename(path, '.json')}") do
      VectorRunner.run(JSON.parse(File.read(path)))
    rescue Mismatch => e
      flunk "#{File.basename(path)}: #{e.message}"
    end
  end
end
