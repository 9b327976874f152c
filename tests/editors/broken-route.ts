import { NextResponse } from 'next/server'
import { pool } from '@/lib/db'

export async function POST(request: Request) {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    await client.query('INSERT INTO orders DEFAULT VALUES')
    await client.query('COMMIT')
    return NextResponse.json({ ok: true })
  } catch (error) {
    return NextResponse.json({ error: 'failed' }, { status: 500 })
  } finally {
    client.release()
  }
}
