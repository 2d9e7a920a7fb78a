import { REDACTED, redactText } from '@intro/core'
import { truncate } from './format.js'

/** The part of a Chrome DevTools Protocol `Runtime.RemoteObject` dogslow reads. */
export interface CdpRemoteObject {
  type: string
  subtype?: string
  className?: string
  value?: unknown
  unserializableValue?: string
  description?: string
  preview?: CdpObjectPreview
}

interface CdpPropertyPreview {
  name: string
  type: string
  value?: string
  subtype?: string
}

interface CdpObjectPreview {
  type: string
  subtype?: string
  description?: string
  overflow: boolean
  properties: CdpPropertyPreview[]
  entries?: Array<{ key?: CdpObjectPreview; value: CdpObjectPreview }>
}

function primitive(type: string, value: string | undefined, subtype: string | undefined, isSecret: (n: string) => boolean): string {
  if (type === 'string') return JSON.stringify(redactText(value ?? '', isSecret))
  if (type === 'object' && subtype === 'null') return 'null'
  if (type === 'undefined') return 'undefined'
  if (type === 'function') return `ƒ ${value ?? ''}`.trim()
  return value ?? type
}

function renderPreview(preview: CdpObjectPreview, isSecret: (n: string) => boolean): string {
  const isArray = preview.subtype === 'array' || preview.subtype === 'typedarray'
  // Raw header lists are flat ([name, value, name, value…]): a secret name hides the next element.
  let hideNext = false
  const parts = preview.properties.map((p) => {
    const secret = isArray ? hideNext : isSecret(p.name)
    hideNext = isArray && p.type === 'string' && isSecret(p.value ?? '')
    const rendered = secret ? REDACTED : primitive(p.type, p.value, p.subtype, isSecret)
    return isArray ? rendered : `${p.name}: ${rendered}`
  })
  if (preview.entries !== undefined) {
    for (const entry of preview.entries) {
      const key = entry.key?.description ?? ''
      parts.push(entry.key === undefined ? (entry.value.description ?? '') : `${key} => ${isSecret(key) ? REDACTED : (entry.value.description ?? '')}`)
    }
  }
  if (preview.overflow) parts.push('…')
  const label = preview.description !== undefined && preview.description !== 'Object' ? `${preview.description} ` : ''
  return isArray ? `${label}[${parts.join(', ')}]` : `${label}{${parts.join(', ')}}`
}

/** Renders a local variable's value as one bounded line, with secret-named properties redacted. */
export function renderRemoteObject(object: CdpRemoteObject, isSecret: (name: string) => boolean, maxLength: number): string {
  let text: string
  if (object.unserializableValue !== undefined) text = object.unserializableValue
  else if (object.type === 'string') text = JSON.stringify(redactText(String(object.value), isSecret))
  else if (object.type === 'number' || object.type === 'boolean') text = String(object.value)
  else if (object.type === 'undefined') text = 'undefined'
  else if (object.type === 'function') text = `ƒ ${(object.description ?? '').split('\n', 1)[0]?.slice(0, 120) ?? ''}`
  else if (object.subtype === 'null') text = 'null'
  else if (object.preview !== undefined) text = renderPreview(object.preview, isSecret)
  else text = object.description ?? object.className ?? object.type
  return truncate(text, maxLength)
}
