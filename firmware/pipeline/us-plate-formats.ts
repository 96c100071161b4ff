/**
 * Common US passenger-plate serial formats, from the states' published numbering schemes.
 * `@` is a letter, `#` a digit. Several states share a format; each is listed once under the
 * states best known for it. Vanity and special plates follow no format and are handled by the
 * generic plausibility rule instead.
 */
export const US_PLATE_FORMATS: { name: string; shape: string }[] = [
  { name: 'CA 1ABC234', shape: '#@@@###' },
  { name: 'TX/NY/PA/OH/NC/VA/GA/AZ/WA ABC1234', shape: '@@@####' },
  { name: 'ABC123 (older, many states)', shape: '@@@###' },
  { name: '123ABC (older, many states)', shape: '###@@@' },
  { name: 'MA/MI 1ABC23', shape: '#@@@##' },
  { name: 'MO AB1C2D', shape: '@@#@#@' },
  { name: 'IL AB12345', shape: '@@#####' },
  { name: 'IL A123456', shape: '@######' },
  { name: 'FL/CO ABCD12', shape: '@@@@##' },
  { name: 'FL ABC12D', shape: '@@@##@' },
  { name: 'NJ A12BCD', shape: '@##@@@' },
  { name: 'MD 1AB2345', shape: '#@@####' },
  { name: 'NV 123A45', shape: '###@##' },
  { name: 'MN/OR 123ABC4', shape: '###@@@#' },
  { name: 'AB1234 (several states)', shape: '@@####' },
  { name: '1A23456 (several states)', shape: '#@#####' },
  { name: 'ABC12345 (commercial, several states)', shape: '@@@#####' },
];

/** `@#` shape to an anchored regular expression. */
export function shapeToRegex(shape: string): RegExp {
  const body = [...shape].map((c) => (c === '@' ? '[A-Z]' : c === '#' ? '[0-9]' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`);
}
