/**
 * zod → JSON Schema for the OpenAPI document, with what OpenAPI 3.1 adds: shared schemas under
 * `components/schemas` (so clients get named types), a `discriminator` on every discriminated
 * union, and parameters documented as what they parse to (a `limit` is an integer from 1 to 200,
 * not a string of digits).
 */
import { CreateBuildPayload } from '@docker-builder/core';
import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

/** A reference to a shared schema, as `$ref` spells it. */
export const componentRef = (name: string) => `#/components/schemas/${name}`;

type Override = NonNullable<Parameters<typeof z.toJSONSchema>[1]>['override'];

function overrides(io: 'input' | 'output', names: ReadonlyMap<z.ZodType, string>): Override {
  return ({ zodSchema, jsonSchema }) => {
    // A default says what the server fills in; an answer has every field filled in already.
    if (io === 'output') delete jsonSchema.default;
    // The default tag is the time of the request: any fixed value here would be wrong.
    if (zodSchema === CreateBuildPayload.shape.tags) delete jsonSchema.default;
    const def = zodSchema._zod.def as { type: string; discriminator?: unknown; options?: z.ZodType[] };
    if (def.type === 'union' && typeof def.discriminator === 'string') {
      jsonSchema.discriminator = { propertyName: def.discriminator, ...discriminatorMapping(def.discriminator, def.options ?? [], names) };
    }
  };
}

/**
 * Without a mapping, generators (openapi-typescript) take each option's schema name for its tag
 * value, so `kind` would be typed "BuildJob"; the mapping gives the values the API sends.
 */
function discriminatorMapping(property: string, options: z.ZodType[], names: ReadonlyMap<z.ZodType, string>) {
  const mapping: Record<string, string> = {};
  for (const option of options) {
    const name = names.get(option);
    const values = (option._zod as { propValues?: Record<string, Set<unknown>> }).propValues?.[property];
    if (!name || !values || values.size !== 1) return {};
    mapping[String([...values][0])] = componentRef(name);
  }
  return { mapping };
}

function clean(json: JsonSchema): JsonSchema {
  delete json.$schema;
  delete json.$id;
  return json;
}

/** One schema, inline. */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  return clean(z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12', override: overrides(io, new Map()) }) as JsonSchema);
}

/**
 * Schemas to share, by name: each becomes `components/schemas/<name>`, and wherever one appears
 * inside another it is a `$ref` to it.
 */
export function toComponents(named: ReadonlyMap<z.ZodType, string>, io: 'input' | 'output'): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [schema, id] of named) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    io,
    unrepresentable: 'any',
    target: 'draft-2020-12',
    uri: componentRef,
    override: overrides(io, named),
  }) as { schemas: Record<string, JsonSchema> };
  // Shared definitions appear only for recursive schemas, which this API does not have.
  if (schemas.__shared) throw new Error('The OpenAPI document cannot hold a recursive schema; give it a name of its own.');
  return Object.fromEntries(Object.entries(schemas).map(([name, json]) => [name, clean(json)]));
}

/** A query, path or header schema (an object of fields) as OpenAPI parameters. */
export function toParameters(schema: z.ZodType | undefined, location: 'path' | 'query' | 'header') {
  if (!schema) return [];
  const whole = toJsonSchema(schema, 'input');
  const described = (whole.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((whole.required as string[] | undefined) ?? []);
  return Object.entries(objectShape(schema)).map(([name, field]) => {
    const description = described[name]?.description;
    const parsed = parsedSide(field);
    const json = parsed ? { ...toJsonSchema(parsed, 'output'), ...(description ? { description } : {}) } : described[name]!;
    return {
      name,
      in: location,
      required: location === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: json,
      // Arrays go as repeated parameters (`state=a&state=b`), which the router takes.
      ...(json.type === 'array' && location === 'query' ? { style: 'form', explode: true } : {}),
    };
  });
}

function objectShape(schema: z.ZodType): Record<string, z.ZodType> {
  const def = schema._zod.def as { type: string; shape?: Record<string, z.ZodType>; in?: z.ZodType };
  if (def.type === 'object') return def.shape!;
  // A query parsed into another shape (the tar upload's fields): its fields are what is sent.
  if (def.type === 'pipe') return objectShape(def.in!);
  throw new Error(`A route's parameters must be an object schema, not ${def.type}.`);
}

/**
 * The schema a text parameter is parsed into (`z.string().regex(…).transform(Number).pipe(z.number()…)`):
 * documented as that, since generated clients should send an integer, not any string. Null when
 * the field is not parsed into something JSON Schema can say (a plain string, or a transform).
 */
function parsedSide(field: z.ZodType): z.ZodType | null {
  let def = field._zod.def as { type: string; innerType?: z.ZodType; out?: z.ZodType };
  while (def.type === 'optional' || def.type === 'default') def = def.innerType!._zod.def as typeof def;
  if (def.type !== 'pipe') return null;
  const out = def.out!;
  return (out._zod.def as { type: string }).type === 'transform' ? null : out;
}
