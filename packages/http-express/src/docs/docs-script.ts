/**
 * The docs page's script, as the browser runs it: it fetches openapi.json (relative to the page)
 * and renders it. Text rather than a module of this package, so that it reaches the browser as
 * written whatever bundler builds the host; it loads nothing else and calls no other address.
 * Its tests: docs-page.test.ts parses it, docs-browser.test.ts runs it in Chromium.
 */
export const DOCS_SCRIPT = String.raw`(function () {
  'use strict';
  var root = document.getElementById('docs');
  var METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
  var TICK = '\u0060';

  function h(tag, props) {
    var el = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      var value = props[key];
      if (value === undefined || value === null || value === false) return;
      if (key === 'class') el.className = value;
      else if (key === 'open') el.open = true;
      else if (key === 'onclick' || key === 'oninput' || key === 'ontoggle') el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? '' : String(value));
    });
    for (var i = 2; i < arguments.length; i += 1) append(el, arguments[i]);
    return el;
  }

  function append(el, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) child.forEach(function (c) { append(el, c); });
    else el.append(child instanceof Node ? child : String(child));
  }

  /* Descriptions are Markdown; its code spans are shown as code, the rest as written. */
  function prose(text, cls) {
    if (!text) return null;
    return h('p', { class: cls || 'prose' }, String(text).split(TICK).map(function (part, i) {
      return i % 2 ? h('code', null, part) : part;
    }));
  }

  function pointer(base, ref) {
    if (!base || ref.indexOf('#/') !== 0) return undefined;
    return ref.slice(2).split('/').reduce(function (node, part) {
      return node === undefined || node === null ? undefined : node[decodeURIComponent(part.replace(/~1/g, '/').replace(/~0/g, '~'))];
    }, base);
  }

  /* Follows $ref: against the document, then against the schema it appeared in (its $defs). */
  function deref(ctx, schema) {
    var name = null;
    var seen = ctx.seen;
    while (schema && typeof schema.$ref === 'string') {
      var ref = schema.$ref;
      name = ref.split('/').pop();
      if (seen.indexOf(ref) >= 0) return { schema: {}, name: name, cycle: true, ctx: ctx };
      seen = seen.concat(ref);
      var target = pointer(ctx.doc, ref);
      for (var i = ctx.roots.length - 1; target === undefined && i >= 0; i -= 1) target = pointer(ctx.roots[i], ref);
      schema = target;
    }
    return { schema: schema || {}, name: name, cycle: false, ctx: { doc: ctx.doc, roots: ctx.roots, seen: seen, depth: ctx.depth } };
  }

  /* A one-line name for a schema: its type, a reference's name, the types it may be. */
  function typeOf(schema, ctx) {
    if (schema.const !== undefined) return JSON.stringify(schema.const);
    var type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type;
    var variants = schema.oneOf || schema.anyOf;
    if (!type && Array.isArray(variants) && ctx) {
      type = variants.map(function (v) { var r = deref(ctx, v); return r.name || typeOf(r.schema); }).join(' | ');
    }
    if (!type) {
      if (schema.properties || schema.additionalProperties) type = 'object';
      else if (schema.items) type = 'array';
      else if (schema.enum) type = 'enum';
      else if (schema.allOf) type = 'all of';
      else type = 'any';
    }
    if (type === 'array' && schema.items && ctx) {
      var items = deref(ctx, schema.items);
      type = 'array of ' + (items.name || typeOf(items.schema));
    }
    if (schema.format) type += ' (' + schema.format + ')';
    return type;
  }

  function facts(schema) {
    var out = [];
    function add(label, value) { if (value !== undefined) out.push(h('span', { class: 'fact' }, label, h('code', null, typeof value === 'string' ? value : JSON.stringify(value)))); }
    if (Array.isArray(schema.enum)) out.push(h('span', { class: 'fact' }, 'one of ', schema.enum.map(function (v, i) { return [i ? ', ' : '', h('code', null, JSON.stringify(v))]; })));
    add('pattern ', schema.pattern);
    add('min length ', schema.minLength);
    add('max length ', schema.maxLength);
    add('\u2265 ', schema.minimum);
    add('\u2264 ', schema.maximum);
    add('> ', schema.exclusiveMinimum);
    add('< ', schema.exclusiveMaximum);
    add('multiple of ', schema.multipleOf);
    add('min items ', schema.minItems);
    add('max items ', schema.maxItems);
    if (schema.uniqueItems) out.push(h('span', { class: 'fact' }, 'unique items'));
    add('min properties ', schema.minProperties);
    add('max properties ', schema.maxProperties);
    if (schema.propertyNames && schema.propertyNames.pattern) add('keys match ', schema.propertyNames.pattern);
    add('default ', schema.default);
    if (Array.isArray(schema.examples) && schema.examples.length) add('e.g. ', schema.examples[0]);
    else add('e.g. ', schema.example);
    if (schema.readOnly) out.push(h('span', { class: 'fact' }, 'read-only'));
    if (schema.writeOnly) out.push(h('span', { class: 'fact' }, 'write-only'));
    if (schema.deprecated) out.push(h('span', { class: 'fact warn' }, 'deprecated'));
    return out;
  }

  function isNull(schema) { return schema && (schema.type === 'null' || (schema.const === null)); }

  /* What a schema holds inside: properties, items, a map's values, variants. Null when it is a leaf. */
  function children(ctx, schema) {
    var parts = [];
    var props = schema.properties || {};
    var required = schema.required || [];
    var names = Object.keys(props);
    if (names.length) {
      parts.push(h('ul', { class: 'props' }, names.map(function (name) {
        return field(ctx, name, props[name], required.indexOf(name) >= 0);
      })));
    }
    var extra = schema.additionalProperties;
    if (extra && typeof extra === 'object' && Object.keys(extra).length) {
      parts.push(h('ul', { class: 'props' }, field(ctx, names.length ? '(any other key)' : '(each key)', extra, false)));
    }
    if (schema.items && typeof schema.items === 'object') {
      var items = deref(ctx, schema.items);
      var inner = children(items.ctx, items.schema);
      var itemFacts = facts(items.schema);
      if (inner || itemFacts.length) {
        parts.push(h('div', { class: 'items' }, h('span', { class: 'muted' }, 'each item: ', h('span', { class: 'type' }, items.name || typeOf(items.schema))), itemFacts, inner));
      }
    }
    ['oneOf', 'anyOf', 'allOf'].forEach(function (key) {
      var list = schema[key];
      if (!Array.isArray(list)) return;
      var real = list.filter(function (s) { return !isNull(deref(ctx, s).schema); });
      if (real.length === 1 && key !== 'allOf') {
        var only = deref(ctx, real[0]);
        var nested = children(only.ctx, only.schema);
        if (nested) parts.push(nested);
        return;
      }
      parts.push(h('div', { class: 'variants' }, h('div', { class: 'muted' }, key === 'allOf' ? 'all of:' : 'one of:'),
        list.map(function (variant, i) { return variantBlock(ctx, schema, variant, i); })));
    });
    return parts.length ? parts : null;
  }

  function variantLabel(parent, resolved, i) {
    var s = resolved.schema;
    var key = parent.discriminator && parent.discriminator.propertyName;
    if (key && s.properties && s.properties[key]) {
      var p = s.properties[key];
      if (p.const !== undefined) return key + ' = ' + JSON.stringify(p.const);
      if (Array.isArray(p.enum) && p.enum.length === 1) return key + ' = ' + JSON.stringify(p.enum[0]);
    }
    return s.title || resolved.name || (isNull(s) ? 'null' : 'option ' + (i + 1) + ': ' + typeOf(s));
  }

  function variantBlock(ctx, parent, variant, i) {
    var resolved = deref(ctx, variant);
    var inner = resolved.cycle ? null : children(nextCtx(resolved), resolved.schema);
    var head = [h('span', { class: 'variant-name' }, variantLabel(parent, resolved, i)), ' ', facts(resolved.schema), prose(resolved.schema.description, 'desc')];
    return inner ? h('details', { class: 'variant' }, h('summary', null, head), inner) : h('div', { class: 'variant leaf' }, head);
  }

  function named(resolved) {
    var type = typeOf(resolved.schema, resolved.ctx);
    return resolved.name ? resolved.name + ' \u00b7 ' + type : type;
  }

  function nextCtx(resolved) {
    var c = resolved.ctx;
    return { doc: c.doc, roots: c.roots, seen: c.seen, depth: c.depth + 1 };
  }

  function field(ctx, name, raw, required) {
    var resolved = deref(ctx, raw);
    var schema = resolved.schema;
    var inner = resolved.cycle || ctx.depth > 12 ? null : children(nextCtx(resolved), schema);
    var head = [
      h('span', { class: 'name' }, name),
      required ? h('span', { class: 'required' }, 'required') : null,
      h('span', { class: 'type' }, named(resolved)),
      facts(schema),
    ];
    var description = prose(schema.description || raw.description, 'desc');
    if (!inner) return h('li', { class: 'field' }, h('div', { class: 'head' }, head), description);
    return h('li', { class: 'field' }, h('details', { open: ctx.depth < 1 }, h('summary', { class: 'head' }, head), description, inner));
  }

  function schemaBlock(doc, raw) {
    var ctx = { doc: doc, roots: [raw], seen: [], depth: 0 };
    var resolved = deref(ctx, raw || {});
    var schema = resolved.schema;
    return h('div', { class: 'schema' },
      h('div', { class: 'head' }, h('span', { class: 'type' }, named(resolved)), facts(schema)),
      prose(schema.description, 'desc'),
      children(resolved.ctx, schema));
  }

  function contentBlocks(doc, content) {
    return Object.keys(content || {}).map(function (type) {
      var media = content[type] || {};
      return h('div', { class: 'media' }, h('div', { class: 'media-type' }, h('code', null, type)), media.schema ? schemaBlock(doc, media.schema) : null);
    });
  }

  function parameterRows(doc, parameters) {
    return h('table', { class: 'params' },
      h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', null, 'In'), h('th', null, 'Type'), h('th', null, 'Description'))),
      h('tbody', null, parameters.map(function (raw) {
        var p = deref({ doc: doc, roots: [], seen: [], depth: 0 }, raw).schema;
        var schema = p.schema || {};
        return h('tr', null,
          h('td', null, h('code', { class: 'name' }, p.name), p.required ? h('span', { class: 'required' }, 'required') : null),
          h('td', null, p.in),
          h('td', null, h('span', { class: 'type' }, named(deref({ doc: doc, roots: [schema], seen: [], depth: 0 }, schema))), ' ', facts(schema)),
          h('td', null, prose(p.description || schema.description, 'desc')));
      })));
  }

  function statusClass(status) { return 's' + String(status).charAt(0); }

  function operationBlock(doc, path, method, op, pathItem) {
    var parameters = (pathItem.parameters || []).concat(op.parameters || []);
    var secured = op.security ? op.security.length > 0 : Boolean(doc.security && doc.security.length);
    var id = op.operationId || method + ' ' + path;
    var body = [];
    if (op.description) body.push(prose(op.description));
    if (parameters.length) body.push(h('h4', null, 'Parameters'), parameterRows(doc, parameters));
    if (op.requestBody) {
      var rb = deref({ doc: doc, roots: [], seen: [], depth: 0 }, op.requestBody).schema;
      body.push(h('h4', null, 'Request body', rb.required ? h('span', { class: 'required' }, 'required') : null), prose(rb.description, 'desc'), contentBlocks(doc, rb.content));
    }
    var statuses = Object.keys(op.responses || {});
    if (statuses.length) {
      body.push(h('h4', null, 'Responses'));
      statuses.forEach(function (status) {
        var response = deref({ doc: doc, roots: [], seen: [], depth: 0 }, op.responses[status]).schema;
        var content = contentBlocks(doc, response.content);
        body.push(h('details', { class: 'response', open: /^2/.test(status) },
          h('summary', null, h('span', { class: 'status ' + statusClass(status) }, status), ' ', prose(response.description, 'inline')),
          content.length ? content : h('p', { class: 'muted' }, 'No body.')));
      });
    }
    var block = h('details', { class: 'op', id: id, 'data-search': (method + ' ' + path + ' ' + (op.summary || '') + ' ' + id).toLowerCase() },
      h('summary', null,
        h('span', { class: 'method m-' + method }, method.toUpperCase()),
        h('code', { class: 'path' }, path),
        h('span', { class: 'summary' }, op.summary || ''),
        op.deprecated ? h('span', { class: 'fact warn' }, 'deprecated') : null,
        secured ? h('span', { class: 'lock', title: 'Needs credentials' }, 'auth') : null),
      h('div', { class: 'op-body' }, body));
    return block;
  }

  function render(doc) {
    var info = doc.info || {};
    document.title = (info.title || 'API') + ' \u2013 API docs';
    var tags = (doc.tags || []).map(function (t) { return { name: t.name, description: t.description, ops: [] }; });
    function tagNamed(name) {
      var found = tags.filter(function (t) { return t.name === name; })[0];
      if (!found) { found = { name: name, ops: [] }; tags.push(found); }
      return found;
    }
    Object.keys(doc.paths || {}).forEach(function (path) {
      var item = doc.paths[path] || {};
      METHODS.forEach(function (method) {
        var op = item[method];
        if (!op) return;
        tagNamed((op.tags && op.tags[0]) || 'other').ops.push(operationBlock(doc, path, method, op, item));
      });
    });
    tags = tags.filter(function (t) { return t.ops.length; });

    var schemes = (doc.components && doc.components.securitySchemes) || {};
    var auth = Object.keys(schemes).map(function (name) {
      var s = schemes[name];
      if (s.type === 'http' && s.scheme === 'bearer') return 'send ' + TICK + 'Authorization: Bearer <token>' + TICK;
      if (s.type === 'apiKey') return 'send the ' + TICK + s.name + TICK + ' ' + s.in;
      return s.description || s.type;
    });

    var filter = h('input', { type: 'search', placeholder: 'Filter operations', 'aria-label': 'Filter operations', oninput: function () {
      var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      Array.prototype.forEach.call(root.querySelectorAll('.op'), function (op) {
        op.hidden = !words.every(function (w) { return op.getAttribute('data-search').indexOf(w) >= 0; });
      });
      Array.prototype.forEach.call(root.querySelectorAll('section.tag'), function (section) {
        section.hidden = !section.querySelector('.op:not([hidden])');
      });
    } });
    var toggle = h('button', { type: 'button', onclick: function () {
      var open = toggle.textContent === 'Expand all';
      Array.prototype.forEach.call(root.querySelectorAll('.op'), function (op) { op.open = open; });
      toggle.textContent = open ? 'Collapse all' : 'Expand all';
    } }, 'Expand all');

    root.replaceChildren.apply(root, [
      h('header', null,
        h('h1', null, info.title || 'API', info.version ? h('span', { class: 'version' }, info.version) : null),
        prose(info.description),
        auth.length ? prose('Routes marked auth need credentials: ' + auth.join('; or ') + '.') : null,
        h('p', { class: 'muted' }, 'OpenAPI ' + (doc.openapi || ''), ' \u00b7 ', h('a', { href: 'openapi.json' }, 'openapi.json'))),
      h('div', { class: 'tools' }, filter, toggle),
      h('nav', null, h('ul', null, tags.map(function (t) {
        return h('li', null, h('a', { href: '#tag-' + encodeURIComponent(t.name) }, t.name), h('span', { class: 'count' }, String(t.ops.length)));
      }))),
    ].concat(tags.map(function (t) {
      return h('section', { class: 'tag', id: 'tag-' + encodeURIComponent(t.name) }, h('h2', null, t.name), prose(t.description), t.ops);
    })));
    openFromHash();
  }

  function openFromHash() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (target && target.tagName === 'DETAILS') { target.open = true; target.scrollIntoView(); }
  }

  window.addEventListener('hashchange', openFromHash);
  var url = new URL(root.getAttribute('data-openapi') || 'openapi.json', document.baseURI);
  fetch(url, { headers: { Accept: 'application/json' } })
    .then(function (response) {
      if (!response.ok) throw new Error(url.pathname + ' answered ' + response.status);
      return response.json();
    })
    .then(render)
    .catch(function (error) {
      root.replaceChildren(h('p', { class: 'error' }, 'The API description could not be loaded: ' + error.message + '.'));
    });
})();
`;
