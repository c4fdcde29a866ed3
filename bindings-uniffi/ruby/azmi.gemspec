# frozen_string_literal: true

# The azmi gem: the Ruby layer, the generated uniffi code and the native library for this
# platform (bindings-uniffi/scripts/test-ruby gem copies it into lib/azmi/ before `gem build`).
Gem::Specification.new do |s|
  s.name = 'azmi'
  s.version = File.read(File.join(__dir__, 'lib', 'azmi.rb'))[/VERSION = '([^']+)'/, 1]
  s.summary = 'Azure managed identity tokens and Resource Manager calls, over azmi native library'
  s.description = 'Managed identity tokens (IMDS, App Service, Azure Arc, ...) and Azure ' \
                  'Resource Manager calls for Ruby, through the same native core as azmi for ' \
                  'Rust, Python, Node and the JVM.'
  s.authors = ['azmi contributors']
  s.license = 'MIT'
  s.homepage = 'https://github.com/azmi-dev/azmi'
  s.required_ruby_version = '>= 3.1'
  s.platform = Gem::Platform.local
  lib = File.join(__dir__, 'lib', 'azmi', 'libazmi_uniffi.so')
  raise "#{lib} is missing: build the gem with bindings-uniffi/scripts/test-ruby gem" unless File.file?(lib)

  s.files = Dir.chdir(__dir__) { Dir['lib/**/*.rb'] + ['lib/azmi/libazmi_uniffi.so'] }
  s.require_paths = ['lib']
  s.add_dependency 'ffi', '~> 1.15'
end
