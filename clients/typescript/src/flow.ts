/**
 * A short flow through the generated TypeScript client (@hey-api/openapi-ts, fetch client):
 * a seller XRechnung accepts, a German buyer, an issued invoice, then its PDF and XRechnung
 * as bytes. Run by clients/check: node dist/flow.js BASE_URL ADMIN_TOKEN
 */
import { client } from './generated/client.gen.js';
import {
  invoicesCreate,
  invoicesDownload,
  invoicesPayCash,
  invoicesPdf,
  settingsUpdate,
  tenantBillingProfileGet,
  tenantBillingProfileUpsert,
  tenantsCreate,
} from './generated/sdk.gen.js';
import type { CashPaidResponse, OptionalBillingProfileReadResponse } from './generated/types.gen.js';

function check(condition: unknown, message: string): asserts condition {
  if (!condition) {
    throw new Error(message);
  }
}

async function bytesOf(data: Blob | File): Promise<Uint8Array> {
  return new Uint8Array(await data.arrayBuffer());
}

async function main(baseUrl: string, token: string): Promise<void> {
  client.setConfig({ baseUrl, auth: () => token });

  await settingsUpdate({
    throwOnError: true,
    body: {
      seller: {
        legal_name: 'Nordlicht Cloud GmbH',
        address_line1: 'Hauptstraße 1',
        postal_code: '10115',
        city: 'Berlin',
        country_code: 'DE',
        vat_id: 'DE123456789',
        contact_name: 'Anna Schmidt',
        phone: '+49 30 1234567',
        email: 'billing@nordlicht.example',
        iban: 'DE89370400440532013000',
        bic: 'COBADEFFXXX',
      },
    },
  });
  const tenant = await tenantsCreate({
    throwOnError: true,
    body: { name: `Kunde ${Date.now()}`, country_code: 'DE', default_currency: 'EUR' },
  });
  const tenantId = tenant.data.data.id;
  await tenantBillingProfileUpsert({
    throwOnError: true,
    path: { tenant_id: tenantId },
    body: {
      company_name: 'Kunde AG',
      address_line1: 'Marktplatz 5',
      postal_code: '80331',
      city: 'München',
      country_code: 'DE',
      vat_id: 'DE987654321',
      billing_email: 'ap@kunde.example',
      buyer_reference: '04011000-12345-34',
      preferred_einvoice_format: 'xrechnung',
    },
  });
  const invoice = await invoicesCreate({
    throwOnError: true,
    body: {
      tenant_id: tenantId,
      status: 'issued',
      items: [{ name: 'Cloud plan', quantity: '2.5', unit_price: '40.00', tax_rate: '19' }],
    },
  });
  const { id, invoice_number, total_amount } = invoice.data.data;
  check(total_amount === '119.00', `total ${total_amount}`);

  const pdf = await invoicesPdf({ path: { invoice_id: id }, throwOnError: true });
  const pdfBytes = await bytesOf(pdf.data);
  check(new TextDecoder().decode(pdfBytes.slice(0, 5)) === '%PDF-', 'the PDF is no PDF');

  const xrechnung = await invoicesDownload({
    throwOnError: true,
    path: { invoice_id: id },
    query: { format: 'xrechnung' },
  });
  const xml = new TextDecoder().decode(await bytesOf(xrechnung.data));
  check(xml.includes('urn:xeinkauf.de:kosit:xrechnung_3.0'), 'not an XRechnung');
  // Names read like a hand-written SDK (clients/check fails on leftover generic names).
  const profile: OptionalBillingProfileReadResponse = (
    await tenantBillingProfileGet({ path: { tenant_id: tenantId }, throwOnError: true })
  ).data;
  check(profile.data?.company_name === 'Kunde AG', 'billing profile');
  const paid: CashPaidResponse = (
    await invoicesPayCash({
      throwOnError: true,
      path: { invoice_id: id },
      body: { payment_method: 'cash', amount_given: '120.00' },
    })
  ).data;
  check(paid.data.invoice.status === 'paid', `status ${paid.data.invoice.status}`);
  check(paid.data.cash_transaction.change_amount === '1.00', 'change');
  console.log(
    `typescript client: invoice ${invoice_number}, PDF ${pdfBytes.length} bytes, ` +
      `XRechnung ${xml.length} characters`,
  );
}

const [baseUrl, token] = process.argv.slice(2);
check(baseUrl && token, 'usage: node dist/flow.js BASE_URL ADMIN_TOKEN');
await main(baseUrl, token);
