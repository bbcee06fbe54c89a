// Request targets → route label values with bounded cardinality (docs/metrics.md, "Routes"). A path
// becomes a route by, in order: the query dropped; the first explicit template that matches it; else
// each segment that looks like an identifier replaced by a placeholder. Past `maxRoutes` distinct
// templated routes, new ones fold into OTHER_ROUTE and are counted; explicit templates never fold.

/** The label value of every route past the cap, and of routes too long to keep. */
export const OTHER_ROUTE = '__other__';
/** Request targets that are not a path: `*` (OPTIONS) stays `*`, authority-form (CONNECT) becomes this. */
export const AUTHORITY_ROUTE = '{authority}';
/** A templated route longer than this (in UTF-16 units) folds, so one label value stays small. */
export const MAX_ROUTE_LENGTH = 200;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DIGITS = /^[0-9]+$/;
// 16 hex digits and more: object ids (24), digests (32, 40, 64). Shorter words such as "cafe" stay.
const LONG_HEX = /^[0-9a-f]{16,}$/i;
const PLACEHOLDER = /^\{[A-Za-z_][A-Za-z0-9_]*\}$/;

/** One segment as it appears in a route label: identifiers become placeholders. */
export function templateSegment(segment: string): string {
  if (DIGITS.test(segment)) return '{id}';
  if (UUID.test(segment)) return '{uuid}';
  if (LONG_HEX.test(segment)) return '{hex}';
  return segment;
}

/**
 * Why `template` is not a route template, or null when it is one: a path starting with `/`, without
 * query, fragment, whitespace or comma (lists of templates are separated by them), whose segments are literal or a whole `{name}` placeholder.
 */
export function routeTemplateProblem(template: string): string | null {
  if (!template.startsWith('/')) return 'must start with /';
  if (/[\s?#,]/.test(template)) return 'no whitespace, comma, ? or #';
  for (const segment of template.split('/').slice(1)) {
    if ((segment.includes('{') || segment.includes('}')) && !PLACEHOLDER.test(segment)) {
      return `placeholder segments are a whole {name} (got ${JSON.stringify(segment.slice(0, 40))})`;
    }
  }
  return null;
}

interface CompiledTemplate {
  route: string;
  /** null at a placeholder: any non-empty segment matches. */
  segments: Array<string | null>;
}

export class RouteTable {
  private readonly templates: CompiledTemplate[];
  private readonly maxRoutes: number;
  private readonly seen = new Set<string>();
  /** Exchanges whose route was folded into OTHER_ROUTE (past the cap or too long). */
  folded = 0;

  /** REQUIRES: every template passed routeTemplateProblem (config validation does it). */
  constructor(templates: readonly string[], maxRoutes: number) {
    this.templates = templates.map((route) => ({
      route,
      segments: route.split('/').slice(1).map((s) => (PLACEHOLDER.test(s) ? null : s)),
    }));
    this.maxRoutes = maxRoutes;
  }

  /** Distinct templated routes seen so far (explicit templates and OTHER_ROUTE not included). */
  get distinct(): number {
    return this.seen.size;
  }

  /** The route label of a request target. */
  route(target: string): string {
    let path = target;
    const q = path.search(/[?#]/);
    if (q >= 0) path = path.slice(0, q);
    if (!path.startsWith('/')) {
      if (path === '*') return '*';
      // absolute-form (a proxy's request): keep its path; anything else names an authority.
      const m = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(\/.*)?$/i.exec(path);
      if (m === null) return AUTHORITY_ROUTE;
      path = m[1] ?? '/';
    }
    const segments = path.split('/').slice(1);
    for (const t of this.templates) {
      if (matches(t.segments, segments)) return t.route;
    }
    const route = '/' + segments.map(templateSegment).join('/');
    if (this.seen.has(route)) return route;
    if (route.length > MAX_ROUTE_LENGTH || this.seen.size >= this.maxRoutes) {
      this.folded++;
      return OTHER_ROUTE;
    }
    this.seen.add(route);
    return route;
  }
}

function matches(template: Array<string | null>, segments: string[]): boolean {
  if (template.length !== segments.length) return false;
  for (let i = 0; i < template.length; i++) {
    const t = template[i];
    if (t === null ? segments[i] === '' : t !== segments[i]) return false;
  }
  return true;
}
