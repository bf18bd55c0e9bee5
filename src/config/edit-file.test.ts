import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { EditError, setTableKey, setTopLevelKey } from './edit-file.js';

describe('setTopLevelKey', () => {
  it('replaces the value and keeps comments, spacing and the other lines', () => {
    const text = '# my settings\ncache_size   =  "10G"   # was 5G before the big repo\n\nlog_level = "info"\n';
    const edit = setTopLevelKey(text, 'cache_size', '20G');
    expect(edit).toMatchObject({ change: 'replaced', previous: '"10G"' });
    expect(edit.text).toBe(
      '# my settings\ncache_size   =  "20G"   # was 5G before the big repo\n\nlog_level = "info"\n',
    );
  });

  it('replaces a value with a # inside a string, and a multi-line array with comments', () => {
    const text =
      'cache_dir = "/tmp/a#b" # note\nbasedirs = [\n  "/src", # mine\n  "auto",\n] # end\nlog_level = "debug"\n';
    expect(setTopLevelKey(text, 'cache_dir', '/c').text).toBe(
      'cache_dir = "/c" # note\nbasedirs = [\n  "/src", # mine\n  "auto",\n] # end\nlog_level = "debug"\n',
    );
    const edit = setTopLevelKey(text, 'basedirs', ['auto']);
    expect(edit.text).toBe('cache_dir = "/tmp/a#b" # note\nbasedirs = ["auto"] # end\nlog_level = "debug"\n');
    expect(parse(edit.text)).toEqual({ cache_dir: '/tmp/a#b', basedirs: ['auto'], log_level: 'debug' });
  });

  it('adds a missing key at the end, or above the first table', () => {
    expect(setTopLevelKey('log_level = "info"', 'cache_size', 1024)).toEqual({
      change: 'added',
      text: 'log_level = "info"\ncache_size = 1024\n',
    });
    expect(setTopLevelKey('', 'cache_size', '1G').text).toBe('cache_size = "1G"\n');
    expect(setTopLevelKey('a = 1\n[t]\nb = 2\n', 'cache_size', '1G').text).toBe(
      'a = 1\ncache_size = "1G"\n[t]\nb = 2\n',
    );
  });

  it('refuses an edit it cannot verify rather than write a file that says something else', () => {
    // A line inside a multi-line string looks like the key; the check after the edit catches it.
    expect(() => setTopLevelKey('cache_dir = """\ncache_size = "5G"\n"""\n', 'cache_size', '1G')).toThrow(EditError);
    expect(setTopLevelKey('cache_size = """\n10G""" # c\n', 'cache_size', '1G').text).toBe('cache_size = "1G" # c\n');
  });
});

describe('setTableKey', () => {
  it("adds cargo's [build] keys under an existing header, keeping the rest", () => {
    const text = '# my cargo\n[net]\noffline = true\n\n[build]  # tools\njobs = 2\n\n[term]\ncolor = "never"\n';
    const edit = setTableKey(text, 'build', 'rustc-wrapper', 'hoard');
    expect(edit.text).toBe(
      '# my cargo\n[net]\noffline = true\n\n[build]  # tools\nrustc-wrapper = "hoard"\njobs = 2\n\n[term]\ncolor = "never"\n',
    );
    expect(setTableKey(edit.text, 'build', 'incremental', false).text).toContain(
      '[build]  # tools\nincremental = false\nrustc-wrapper = "hoard"\n',
    );
  });

  it('replaces a value only inside its table', () => {
    const text = 'incremental = true\n[build]\nincremental = true # why not\n[profile.dev]\nincremental = true\n';
    expect(setTableKey(text, 'build', 'incremental', false)).toMatchObject({
      change: 'replaced',
      previous: 'true',
      text: 'incremental = true\n[build]\nincremental = false # why not\n[profile.dev]\nincremental = true\n',
    });
  });

  it('appends the table when there is none, and refuses when the table is written another way', () => {
    expect(setTableKey('[net]\noffline = true', 'build', 'rustc-wrapper', 'hoard').text).toBe(
      '[net]\noffline = true\n\n[build]\nrustc-wrapper = "hoard"\n',
    );
    expect(setTableKey('', 'build', 'incremental', false).text).toBe('[build]\nincremental = false\n');
    expect(() => setTableKey('build.jobs = 2\n', 'build', 'rustc-wrapper', 'hoard')).toThrow(EditError);
  });
});
