/**
 * The YAML 1.2 core schema (YAML 1.2.2 §10.3.2) for js-yaml, so that it reads plain scalars
 * exactly as the `yaml` library's default schema does. js-yaml's own CORE_SCHEMA also takes
 * YAML 1.1 forms (`1_000`, `0b101`, `+.5` as well as `+0.5`, ...), which would turn a message
 * id such as `2_1` into the number 21; these resolvers take only the forms of §10.3.2.
 */
import { FAILSAFE_SCHEMA, Type } from 'js-yaml';

const NULL = /^(?:~|null|Null|NULL|)$/;
const BOOL = /^(?:true|True|TRUE|false|False|FALSE)$/;
const INT_DECIMAL = /^[-+]?[0-9]+$/;
const INT_OCTAL = /^0o[0-7]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const INFINITY = /^[-+]?\.(?:inf|Inf|INF)$/;
const NOT_A_NUMBER = /^\.(?:nan|NaN|NAN)$/;

const nullType = new Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (data: string) => NULL.test(data),
  construct: () => null,
});

const boolType = new Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: string) => BOOL.test(data),
  construct: (data: string) => data.toLowerCase() === 'true',
});

const intType = new Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (data: string) => INT_DECIMAL.test(data) || INT_OCTAL.test(data) || INT_HEX.test(data),
  construct: (data: string) =>
    INT_OCTAL.test(data) ? parseInt(data.slice(2), 8) : INT_HEX.test(data) ? parseInt(data.slice(2), 16) : Number(data),
});

const floatType = new Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (data: string) => FLOAT.test(data) || INFINITY.test(data) || NOT_A_NUMBER.test(data),
  construct: (data: string) =>
    INFINITY.test(data) ? (data.startsWith('-') ? -Infinity : Infinity) : NOT_A_NUMBER.test(data) ? NaN : Number(data),
});

export const YAML_1_2_CORE_SCHEMA = FAILSAFE_SCHEMA.extend({ implicit: [nullType, boolType, intType, floatType] });
