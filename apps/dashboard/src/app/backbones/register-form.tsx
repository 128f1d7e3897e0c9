'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';

interface Refusal {
  error: string;
  field: string | null;
}

/** Uploads a weights file to PUT /api/backbones and shows the splitter's answer beside the field it names. */
export function RegisterBackboneForm({ presets }: { presets: readonly string[] }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [registered, setRegistered] = useState<string | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const file = form.get('file');
    if (!(file instanceof File) || file.size === 0) {
      setRefusal({ error: 'choose a weights file', field: 'file' });
      return;
    }
    setBusy(true);
    setRefusal(null);
    setRegistered(null);
    try {
      const query = new URLSearchParams({
        name: String(form.get('name') ?? ''),
        arch: String(form.get('arch') ?? ''),
        file: file.name,
      });
      const response = await fetch(`/api/backbones?${query}`, { method: 'PUT', body: file });
      const answer = (await response.json()) as {
        backbone?: { name: string; digest: string };
      } & Partial<Refusal>;
      if (!response.ok || !answer.backbone) {
        setRefusal({ error: answer.error ?? `HTTP ${response.status}`, field: answer.field ?? null });
        return;
      }
      setRegistered(`${answer.backbone.name} (sha256 ${answer.backbone.digest.slice(0, 12)}…)`);
      router.refresh();
    } catch (error) {
      setRefusal({ error: (error as Error).message, field: null });
    } finally {
      setBusy(false);
    }
  }

  const errorFor = (field: string) =>
    refusal && (refusal.field === field || refusal.field?.startsWith(`${field}.`)) ? (
      <p className="field-error" role="alert" data-testid={`register-error-${field}`}>
        {refusal.error}
      </p>
    ) : null;
  const other =
    refusal && !['name', 'arch', 'path', 'upload', 'file'].some((f) => refusal.field?.startsWith(f));

  return (
    <form className="card form" onSubmit={submit} data-testid="register-backbone">
      <h2>Register a backbone</h2>
      <label>
        Name
        <input name="name" required pattern="[a-z0-9][a-z0-9._\-]*" placeholder="in21k" />
      </label>
      {errorFor('name')}
      <label>
        Architecture (a preset or JSON)
        <input name="arch" required list="arch-presets" placeholder="vit-b16" />
        <datalist id="arch-presets">
          {presets.map((p) => (
            <option key={p} value={p} />
          ))}
        </datalist>
      </label>
      {errorFor('arch')}
      <label>
        Weights (timm-named safetensors, or a torch.save checkpoint such as MoCo v3&apos;s .pth.tar)
        <input name="file" type="file" required />
      </label>
      {errorFor('upload')}
      {errorFor('file')}
      {other && (
        <p className="field-error" role="alert" data-testid="register-error">
          {refusal.error}
        </p>
      )}
      <button type="submit" disabled={busy}>
        {busy ? 'Uploading and checking…' : 'Register'}
      </button>
      {registered && (
        <p className="muted" role="status" data-testid="register-done">
          Registered {registered}
        </p>
      )}
    </form>
  );
}
