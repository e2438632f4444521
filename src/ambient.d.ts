declare module 'nodemailer/lib/addressparser' {
  interface ParsedAddress {
    name: string;
    address?: string;
    group?: ParsedAddress[];
  }
  function addressparser(str: string, options?: { flatten?: boolean }): ParsedAddress[];
  export default addressparser;
}
