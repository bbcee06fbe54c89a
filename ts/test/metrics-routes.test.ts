// Route templating (src/metrics/routes.ts): the label a request target gets, and the cap on distinct routes.
import { describe, expect, it } from 'vitest';
import { MAX_ROUTE_LENGTH, OTHER_ROUTE, RouteTable, routeTemplateProblem, templateSegment } from '../src/metrics/routes.js';

describe('templateSegment', () => {
  it.each([
    ['42', '{id}'], ['0', '{id}'], ['550e8400-E29B-41d4-a716-446655440000', '{uuid}'],
    ['0123456789abcdef', '{hex}'], ['5f1d7a2b9c3e4d6f8a0b1c2d', '{hex}'], ['0123456789abcde', '0123456789abcde'],
    ['cafe', 'cafe'], ['v2', 'v2'], ['users', 'users'], ['', ''], ['12ab', '12ab'],
  ])('%s → %s', (segment, label) => expect(templateSegment(segment)).toBe(label));
});

describe('RouteTable', () => {
  it('drops the query and fragment, keeps literal segments, and templates identifiers', () => {
    const t = new RouteTable([], 100);
    expect(t.route('/users/42/orders/550e8400-e29b-41d4-a716-446655440000?x=1')).toBe('/users/{id}/orders/{uuid}');
    expect(t.route('/a/b#frag')).toBe('/a/b');
    expect(t.route('/')).toBe('/');
    expect(t.route('')).toBe('{authority}');
    expect(t.route('*')).toBe('*');
    expect(t.route('example.com:443')).toBe('{authority}');
    expect(t.route('http://example.com/users/7?q')).toBe('/users/{id}');
    expect(t.route('http://example.com')).toBe('/');
  });

  it('tries explicit templates first, in order; a placeholder matches one non-empty segment', () => {
    const t = new RouteTable(['/users/{name}', '/users/{name}/posts/{post}', '/files/{a}'], 100);
    expect(t.route('/users/alice')).toBe('/users/{name}');
    expect(t.route('/users/17')).toBe('/users/{name}');
    expect(t.route('/users/alice/posts/x')).toBe('/users/{name}/posts/{post}');
    expect(t.route('/users/')).toBe('/users/');
    expect(t.route('/files/a/b')).toBe('/files/a/b');
    expect(t.distinct).toBe(2);
  });

  it('folds new routes past the cap and routes too long into __other__, counting each', () => {
    const t = new RouteTable(['/kept/{x}'], 2);
    expect(t.route('/a')).toBe('/a');
    expect(t.route('/b/1')).toBe('/b/{id}');
    expect(t.route('/c')).toBe(OTHER_ROUTE);
    expect(t.route('/b/2')).toBe('/b/{id}');
    expect(t.route('/kept/anything')).toBe('/kept/{x}');
    expect(t.route('/d')).toBe(OTHER_ROUTE);
    expect([t.distinct, t.folded]).toEqual([2, 2]);
    const wide = new RouteTable([], 10);
    expect(wide.route('/' + 'x'.repeat(MAX_ROUTE_LENGTH))).toBe(OTHER_ROUTE);
    expect([wide.distinct, wide.folded]).toEqual([0, 1]);
  });
});

describe('routeTemplateProblem', () => {
  it.each([
    ['/users/{id}', null], ['/', null], ['/a/{b_2}/c', null],
    ['users', 'must start with /'], ['/a?b', 'no whitespace, comma, ? or #'], ['/a,b', 'no whitespace, comma, ? or #'],
    ['/a/{b', 'placeholder segments are a whole {name} (got "{b")'], ['/a/x{b}', 'placeholder segments are a whole {name} (got "x{b}")'],
    ['/a/{1b}', 'placeholder segments are a whole {name} (got "{1b}")'],
  ])('%s', (template, problem) => expect(routeTemplateProblem(template)).toBe(problem));
});
